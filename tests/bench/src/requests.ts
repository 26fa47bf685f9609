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

/** The app's webhook endpoint for the POST tenant: accepts every event, so events are really delivered. */
export async function startReceiver(): Promise<{ url: string; received: () => number; close: () => void }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}/hooks`, received: () => received, close: () => server.close() };
}
