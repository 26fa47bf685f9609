import { ADMIN_TOKEN } from './stack';

export interface AdminResponse {
  readonly status: number;
  // Tests inspect arbitrary JSON; a loose record keeps assertions readable.
  readonly body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

/** The admin API as an operator (or the app's backend) calls it. */
export async function admin(baseUrl: string, method: string, path: string, body?: unknown): Promise<AdminResponse> {
  const response = await fetch(`${baseUrl}/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as AdminResponse['body']) : {} };
}
