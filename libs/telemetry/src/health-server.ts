import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReadinessReport } from './readiness';

/**
 * Worker and notifier have no API, but orchestrators need to know it lives (`/healthz`: the BullMQ worker
 * is running) and can work (`/readyz`: Postgres and Redis answer), and Prometheus scrapes `/metrics`.
 * Plain node:http, no framework.
 */
export async function startHealthServer(
  port: number,
  live: () => boolean,
  readiness: () => Promise<ReadinessReport>,
  metrics?: Registry,
): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/healthz') {
      const ok = live();
      send(ok ? 200 : 503, { status: ok ? 'ok' : 'stopped' });
    } else if (req.url === '/readyz') {
      readiness().then(
        (report) =>
          send(report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'unavailable', ...report.checks }),
        () => send(503, { status: 'unavailable' }),
      );
    } else if (req.url === '/metrics' && metrics) {
      metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        () => send(500, { status: 'metrics unavailable' }),
      );
    } else {
      send(404, { status: 'not found' });
    }
  });
  server.listen(port);
  await once(server, 'listening');
  return server;
}

/** The TCP port a listening server is bound to. */
export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}
