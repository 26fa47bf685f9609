import { Agent, request } from 'node:http';
import type { FuzzRequest } from './fuzz-requests';

/** How a request ended: an HTTP status, no answer within the limit, or the connection failing. */
export type FuzzAnswer =
  | { readonly kind: 'status'; readonly status: number; readonly body: string; readonly ms: number }
  | { readonly kind: 'hang'; readonly ms: number }
  | { readonly kind: 'connection'; readonly error: string };

/**
 * Sends a request exactly as generated (any method, any header, any bytes) with node:http, which
 * unlike fetch lets through methods such as PROPFIND and bodies on any method. Resolves, never
 * rejects: every outcome is something to count.
 */
export function sendRequest(origin: URL, agent: Agent, fuzz: FuzzRequest, hangMs: number): Promise<FuzzAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: FuzzAnswer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const req = request(
      {
        host: origin.hostname,
        port: origin.port,
        method: fuzz.method,
        path: fuzz.path,
        agent,
        headers: { ...fuzz.headers, ...(fuzz.body ? { 'content-length': fuzz.body.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          settle({
            kind: 'status',
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', (error) => settle({ kind: 'connection', error: error.message }));
      },
    );
    req.setTimeout(hangMs, () => {
      settle({ kind: 'hang', ms: performance.now() - started });
      req.destroy();
    });
    req.on('error', (error) => settle({ kind: 'connection', error: error.message }));
    req.end(fuzz.body);
  });
}
