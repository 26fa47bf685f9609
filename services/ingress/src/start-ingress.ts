import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { BullMQOtel } from 'bullmq-otel';
import type { IngressConfig } from '@scimflow/config';
import { createDatabase, pingDatabase, schemaReadiness } from '@scimflow/db';
import { createRedis, JobQueue, liveWorkers, QueueName, watchRedis } from '@scimflow/jobs';
import { checkReadiness, outageLog, portOf, queueTelemetry, type Logger } from '@scimflow/telemetry';
import { createApp } from './app';
import { CommandBus } from './command-bus';
import { IngressMetrics } from './http/ingress-metrics';
import { CredentialThrottle } from './scim/credential-throttle';
import { RejectionLog } from './scim/rejection-log';
import { TenantBudgets } from './scim/tenant-budgets';
import { TenantTokenCache } from './scim/tenant-token-cache';

export interface IngressHandle {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void>;
}

export async function startIngress(config: IngressConfig, logger: Logger): Promise<IngressHandle> {
  const db = createDatabase({
    url: config.databaseUrl,
    poolSize: config.db.poolSize,
    applicationName: 'scimflow-ingress',
  });
  // BullMQ's queues on one connection; budgets, throttles and reply reads on another (see RedisRole).
  const queueConnection = createRedis(config.redis, 'queue-producer', 'scimflow-ingress-queue');
  const producer = createRedis(config.redis, 'producer', 'scimflow-ingress');
  const subscriber = createRedis(config.redis, 'subscriber', 'scimflow-ingress-replies');
  const queue = new JobQueue(QueueName.commands, {
    connection: queueConnection,
    prefix: config.queuePrefix,
    ...queueTelemetry(config.otel.endpoint, () => new BullMQOtel({ tracerName: 'scimflow' })),
    // Fail fast while Redis is down instead of waiting for it (BullMQ: producers in HTTP handlers).
    // The version check is a command too, and would fail for good if Redis were down at start-up;
    // the worker, whose connection waits for Redis, performs it instead.
    skipWaitingForReady: true,
    skipVersionCheck: true,
  });
  // An outage is logged when it starts, summarised, and when it ends: not once per reconnect attempt.
  const redisOutage = outageLog(logger, 'Redis');
  watchRedis(producer, redisOutage);
  watchRedis(queueConnection, redisOutage);
  watchRedis(subscriber, redisOutage);
  queue.onError((error) => redisOutage.failed(error));
  const metrics = new IngressMetrics();
  const bus = new CommandBus({
    queue,
    db,
    subscriber,
    reader: producer,
    prefix: config.queuePrefix,
    instanceId: randomUUID(),
    replyTimeoutMs: config.replyTimeoutMs,
    batchSize: config.batchSize,
    batchesInFlight: config.batchesInFlight,
    eagerBatches: config.eagerBatches,
    batchPatienceMs: config.batchPatienceMs,
    queueWaitLimitMs: config.queueWaitLimitMs,
    redisOutage,
    metrics,
    logger,
  });
  bus.start();
  const tokens = new TenantTokenCache(db, config.databaseUrl, logger);
  await tokens.start();
  const budgets = new TenantBudgets({
    redis: producer,
    prefix: config.keyPrefix,
    defaults: config.tenantBudget,
    // A write holds its place until answered; if this ingress dies first, the place frees itself.
    leaseMs: config.replyTimeoutMs + 5_000,
    db,
    databaseUrl: config.databaseUrl,
    logger,
  });
  await budgets.start();
  const rejections = new RejectionLog(db, logger);
  const credentials = new CredentialThrottle({
    redis: producer,
    prefix: config.keyPrefix,
    perMinute: config.authFailuresPerMinute,
  });

  // The other queues, for Bull Board only (it reads them; the ingress adds nothing to them).
  const watched = [QueueName.notifications, QueueName.webhooks, QueueName.maintenance].map(
    (name) =>
      new JobQueue(name, {
        connection: queueConnection,
        prefix: config.queuePrefix,
        skipWaitingForReady: true,
        skipVersionCheck: true,
      }),
  );
  for (const other of watched) other.onError((error) => redisOutage.failed(error));
  const app = createApp({
    queues: [queue, ...watched].map((each) => each.forDashboard()),
    config,
    db,
    bus,
    tokens,
    budgets,
    rejections,
    credentials,
    metrics,
    readiness: () =>
      checkReadiness({ postgres: () => pingDatabase(db), redis: () => producer.ping() }, [
        { check: () => schemaReadiness(db), fallback: { schema: 'unknown' } },
        {
          // Whether any worker is consuming: without one every write would wait into a 503.
          check: async () => {
            const workers = await liveWorkers(producer, config.queuePrefix);
            return { ok: workers > 0, fields: { workers } };
          },
          fallback: { workers: 'unknown' },
        },
      ]),
    logger,
  });
  const server = createServer(app);
  // Identity providers and load balancers keep connections pooled for up to a minute (an AWS ALB's
  // idle timeout is 60 s). With Node's 5 s default the ingress closed pooled connections that a client
  // could be reusing at that moment, and the request died with ECONNRESET. Headers must time out later.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(config.port);
  await once(server, 'listening');
  const port = portOf(server);
  logger.info({ port, publicUrl: config.publicUrl }, 'ingress listening');

  return {
    server,
    port,
    async close() {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.warn('shutdown timeout reached; closing open connections');
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      await drained;
      clearTimeout(timer);
      await bus.close();
      await rejections.stop();
      await Promise.all([tokens.stop(), budgets.stop()]);
      await Promise.all([queue, ...watched].map((each) => each.close().catch(() => undefined)));
      await db.destroy();
      await Promise.all(
        [producer.quit(), queueConnection.quit(), subscriber.quit()].map((p) => p.catch(() => undefined)),
      );
    },
  };
}
