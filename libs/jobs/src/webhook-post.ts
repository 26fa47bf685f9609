import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// Keep-alive connections per endpoint: a busy endpoint receives thousands of events a second, one
// at a time, and a new TCP (and TLS) connection each would cost more than the event.
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 4 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 4 }),
};

/**
 * POSTs one body and resolves with the HTTP status (redirects are not followed: a 3xx is a
 * failure), or rejects on a connection error or after `timeoutMs`. node:http rather than fetch:
 * measured, fetch's streams cost a sixth of the worker's CPU at 1,700 events/s.
 */
export function postJson(
  url: URL,
  target: { address: string; family: 4 | 6 },
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        // Connect to the address that was checked, not to whatever the name resolves to now (TLS
        // still verifies the certificate against the host name).
        lookup: pinned(target),
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

function pinned(target: { address: string; family: 4 | 6 }) {
  return (_hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the endpoint's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What one post to an endpoint carries besides the body. */
export interface WebhookPost {
  readonly url: string;
  /** Where to connect (checked by resolveWebhookTarget), or why the endpoint may not be posted to. */
  readonly target: { address: string; family: 4 | 6 } | { refused: string };
  readonly secret: string;
  readonly body: string;
  readonly eventId: string;
  /** The event's sequence; absent for a test post. */
  readonly sequence?: number;
  readonly tenantId: string;
  readonly timeoutMs: number;
}

/**
 * Posts one signed body the way every delivery is posted (the worker's, a dead letter's replay, a
 * test-send). Undefined when the endpoint accepted it (2xx); otherwise why not.
 */
export async function postWebhook(post: WebhookPost): Promise<string | undefined> {
  try {
    if ('refused' in post.target) return post.target.refused;
    const status = await postJson(
      new URL(post.url),
      post.target,
      post.body,
      {
        'content-type': 'application/json',
        'user-agent': 'scimflow-webhooks',
        'x-scimflow-signature': signature(post.secret, post.body),
        'x-scimflow-event-id': post.eventId,
        ...(post.sequence === undefined ? {} : { 'x-scimflow-sequence': String(post.sequence) }),
        'x-scimflow-tenant': post.tenantId,
      },
      post.timeoutMs,
    );
    return status >= 200 && status < 300 ? undefined : `HTTP ${status}`;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}
