import type { Request, RequestHandler } from 'express';
import { Counter, Histogram } from 'prom-client';
import { createMetricsRegistry, type Registry } from '@scimflow/telemetry';

/** What the command bus reports: how long a write waited for its outcome, and how batches form. */
export interface BusMetrics {
  observeReply(seconds: number, status: number): void;
  observeBatch(commands: number): void;
}

/**
 * The ingress's /metrics (issue 11): requests by route, method and status (429s and 503s among
 * them), latency, the wait for the worker's reply and the batches the bus forms. Routes are the
 * Express patterns (`/scim/v2/:tenantId/Users/:id`), never the ids in them: no tenant label.
 */
export class IngressMetrics implements BusMetrics {
  readonly registry: Registry = createMetricsRegistry('ingress');
  private readonly requests = new Counter({
    name: 'scimflow_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'scimflow_http_request_duration_seconds',
    help: 'Time from a request arriving to its response being sent, by route pattern and method',
    labelNames: ['route', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly replies = new Histogram({
    name: 'scimflow_command_reply_wait_seconds',
    help: "Time a write waited for the worker's outcome, by the status it got",
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly batches = new Histogram({
    name: 'scimflow_command_batch_size',
    help: 'Commands per queue job the ingress sent',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });
  private readonly lookups = new Histogram({
    name: 'scimflow_lookups_per_statement',
    help: 'userName eq, displayName eq and externalId eq searches answered by one Postgres statement',
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers: [this.registry],
  });

  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      res.once('finish', () => {
        const route = routeOf(req);
        this.requests.inc({ route, method: req.method, status: String(res.statusCode) });
        this.latency.observe({ route, method: req.method }, (performance.now() - started) / 1000);
      });
      next();
    };
  }

  observeReply(seconds: number, status: number): void {
    this.replies.observe({ status: String(status) }, seconds);
  }

  observeBatch(commands: number): void {
    this.batches.observe(commands);
  }

  observeLookups(lookups: number): void {
    this.lookups.observe(lookups);
  }
}

const SCIM_RESOURCE = /^\/scim\/v2\/[^/]+\/([A-Za-z]+)/;

/**
 * The matched route's pattern; for requests answered before a route matched (401, 429 from the
 * budget gate) the SCIM endpoint they were for, and `unmatched` for everything else (404s), so
 * junk paths can't create series.
 */
function routeOf(req: Request): string {
  const pattern: unknown = req.route?.path;
  const admin = req.originalUrl.startsWith('/admin/') ? '/admin' : '';
  if (typeof pattern === 'string') return `${admin}${pattern}`;
  const resource = SCIM_RESOURCE.exec(req.originalUrl)?.[1];
  return resource && KNOWN.has(resource) ? `/scim/v2/:tenantId/${resource}` : 'unmatched';
}

const KNOWN = new Set(['Users', 'Groups', 'Bulk', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas']);
