import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { IngressConfig } from '@scimflow/config';
import type { Db } from '@scimflow/db';
import type { Logger, ReadinessReport } from '@scimflow/telemetry';
import { adminRouter } from './admin/admin-router';
import type { CommandBus } from './command-bus';
import { accessLog } from './http/access-log';
import { errorHandler, notFound } from './http/error-handler';
import type { IngressMetrics } from './http/ingress-metrics';
import { requestId } from './http/request-id';
import { JSON_TYPES } from './scim/scim-context';
import { scimRouter } from './scim/scim-router';
import { consoleRouter } from './console/console-router';
import type { CredentialThrottle } from './scim/credential-throttle';
import type { RejectionLog } from './scim/rejection-log';
import type { TenantBudgets } from './scim/tenant-budgets';
import type { TenantTokenCache } from './scim/tenant-token-cache';
import { inOrder } from './http/in-order';
import { ResourceLookups } from './scim/resource-lookups';

export interface AppDeps {
  readonly config: IngressConfig;
  readonly db: Db;
  readonly bus: CommandBus;
  readonly tokens: TenantTokenCache;
  readonly budgets: TenantBudgets;
  readonly rejections: RejectionLog;
  readonly credentials: CredentialThrottle;
  readonly metrics: IngressMetrics;
  /** Shown read-only in Bull Board at /admin/queues. */
  readonly queues: readonly Queue[];
  readonly readiness: () => Promise<ReadinessReport>;
  readonly logger: Logger;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // SCIM ETags are resource versions (RFC 7644 §3.14), not hashes of the response body.
  app.set('etag', false);
  // The client address the credential throttle counts by: the socket's, unless TRUST_PROXY names the proxies in front.
  app.set('trust proxy', deps.config.trustProxy);
  // One layer: Express walks and matches each layer of a request in turn.
  app.use(inOrder(requestId, accessLog(deps.logger), deps.metrics.middleware()));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Prometheus text format; no tenant in any label (per-tenant figures are in the admin inventory).
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const report = await deps.readiness();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'unavailable', ...report.checks });
  });

  const parseJson = express.json({
    type: JSON_TYPES,
    limit: deps.config.maxBodyBytes,
  });

  const consoleKeys = { adminToken: deps.config.adminToken, secret: deps.config.consoleSecret };
  const consoleRoutes = consoleRouter({
    db: deps.db,
    publicUrl: deps.config.publicUrl,
    tokens: deps.tokens,
    keys: consoleKeys,
    webhookPolicy: deps.config.webhookPolicy,
    credentials: deps.credentials,
  });
  // Entered for /console paths only: mounted at the root, each of its routes was matched against every SCIM request.
  app.use((req, res, next) => (req.path.startsWith('/console') ? consoleRoutes(req, res, next) : next()));
  app.use(
    '/admin',
    parseJson,
    adminRouter({
      consoleKeys,
      queues: deps.queues,
      credentials: deps.credentials,
      db: deps.db,
      adminToken: deps.config.adminToken,
      publicUrl: deps.config.publicUrl,
      tokens: deps.tokens,
      webhookPolicy: deps.config.webhookPolicy,
    }),
  );

  app.use(
    scimRouter({
      db: deps.db,
      bus: deps.bus,
      publicUrl: deps.config.publicUrl,
      tokens: deps.tokens,
      budgets: deps.budgets,
      rejections: deps.rejections,
      credentials: deps.credentials,
      authFailuresPerMinute: deps.config.authFailuresPerMinute,
      parseJson,
      bulkLimits: deps.config.bulkLimits,
      lookups: new ResourceLookups(deps.db, deps.metrics),
      logger: deps.logger,
    }),
  );

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
