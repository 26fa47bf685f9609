// The bench's requests (autocannon's) and the webhook receiver events are delivered to.
import { createServer } from 'node:http';
import type autocannon from 'autocannon';
import { entraUser } from './scenarios';

export function postRequest(path: string, prefix: string): autocannon.Request {
  return {
    method: 'POST',
    path: `${path}/Users`,
    setupRequest: (req) => ({ ...req, body: JSON.stringify(entraUser(prefix)) }),
  };
}

export function getRequest(path: string, names: string[]): autocannon.Request {
  return {
    method: 'GET',
    setupRequest: (req) => {
      const name = names[Math.floor(Math.random() * names.length)] ?? '';
      return { ...req, path: `${path}/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}` };
    },
  };
}

export interface Receiver {
  readonly url: string;
  received(): number;
  /** Resolves once no event has arrived for `ms` (a sender's backlog is delivered). */
  quiet(ms?: number): Promise<void>;
  close(): void;
}

/** The app's webhook endpoint for the POST tenant: accepts every event, so events are really delivered. */
export async function startReceiver(): Promise<Receiver> {
  let received = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      lastAt = performance.now();
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const quiet = async (ms = 500) => {
    while (performance.now() - lastAt < ms) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  return {
    url: `http://127.0.0.1:${address.port}/hooks`,
    received: () => received,
    quiet,
    close: () => server.close(),
  };
}
