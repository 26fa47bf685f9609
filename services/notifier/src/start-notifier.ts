import { BullMQOtel } from 'bullmq-otel';
import { createTransport } from 'nodemailer';
import { Counter } from 'prom-client';
import type { NotifierConfig } from '@scimflow/config';
import { createDatabase, pingDatabase, schemaReadiness } from '@scimflow/db';
import { createJobWorker, createRedis, isRedisConnectionError, JobQueue, QueueName, watchRedis } from '@scimflow/jobs';
import {
  checkReadiness,
  closeConsumers,
  createMetricsRegistry,
  portOf,
  startHealthServer,
  type Logger,
  queueTelemetry,
  outageLog,
} from '@scimflow/telemetry';
import { DigestSender } from './digest-sender';

/** What DigestSender.send's answers count as in scimflow_digests_total. */
const DIGEST_OUTCOME: Readonly<Record<string, string>> = {
  sent: 'sent',
  'no recipients': 'skipped',
  'already sent': 'duplicate',
  undelivered: 'undelivered',
};

function notifierMetrics() {
  const registry = createMetricsRegistry('notifier');
  return {
    registry,
    failures: new Counter({
      name: 'scimflow_failures_recorded_total',
      help: 'Failed writes filed into digests',
      registers: [registry],
    }),
    digests: new Counter({
      name: 'scimflow_digests_total',
      help: 'Digest send attempts by outcome (sent, skipped: no recipients, duplicate, undelivered: no SMTP_URL, failed: retried)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export interface NotifierHandle {
  readonly healthPort: number;
  close(): Promise<void>;
}

/** Consumes failure records, groups them into one digest per tenant and window, and mails each digest once. */
export async function startNotifier(config: NotifierConfig, logger: Logger): Promise<NotifierHandle> {
  const db = createDatabase({
    url: config.databaseUrl,
    poolSize: config.db.poolSize,
    applicationName: 'scimflow-notifier',
  });
  const connection = createRedis(config.redis, 'worker', 'scimflow-notifier');
  const producer = createRedis(config.redis, 'worker', 'scimflow-notifier-producer');
  const queue = new JobQueue(QueueName.notifications, { connection: producer, prefix: config.queuePrefix });
  const transport = config.smtpUrl === undefined ? undefined : createTransport(config.smtpUrl);
  if (!transport)
    logger.warn('SMTP_URL is not set: failure digests are kept undelivered (GET /admin/tenants/{id}/notifications)');
  const sender = new DigestSender({ db, queue, transport, config, logger });
  const redisOutage = outageLog(logger, 'Redis');
  // In the background: with Redis away at start-up the notifier still answers /healthz and /readyz.
  void queue
    .upsertJobScheduler('digest-sweep', { every: 60_000 }, 'digest.sweep', {})
    .catch((error: unknown) => redisOutage.failed(error));

  const metrics = notifierMetrics();
  const worker = createJobWorker(
    QueueName.notifications,
    {
      'failures.recorded': async ({ failures }) => {
        for (const failure of failures) await sender.record(failure);
        metrics.failures.inc(failures.length);
      },
      'digest.send': async ({ digestId }) => {
        try {
          const result = await sender.send(digestId);
          metrics.digests.inc({ outcome: DIGEST_OUTCOME[result] ?? 'other' });
          return result;
        } catch (error) {
          metrics.digests.inc({ outcome: 'failed' });
          throw error;
        }
      },
      'digest.sweep': () => sender.sweep(),
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: 4,
      ...queueTelemetry(config.otel.endpoint, () => new BullMQOtel({ tracerName: 'scimflow' })),
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  );
  watchRedis(connection, redisOutage);
  queue.onError((error) => redisOutage.failed(error));
  worker.on('error', (error) => {
    if (isRedisConnectionError(error)) redisOutage.failed(error);
    else logger.error({ err: error }, 'notifier worker error');
  });
  worker.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, name: job?.name, attempt: job?.attemptsMade, err: error }, 'notification job failed'),
  );

  const health = await startHealthServer(
    config.healthPort,
    () => worker.isRunning(),
    () =>
      checkReadiness({ postgres: () => pingDatabase(db), redis: () => connection.ping() }, [
        { check: () => schemaReadiness(db), fallback: { schema: 'unknown' } },
      ]),
    metrics.registry,
  );
  logger.info({ healthPort: portOf(health), windowSeconds: config.windowSeconds }, 'notifier started');

  return {
    healthPort: portOf(health),
    async close() {
      health.close();
      await closeConsumers([worker], config.shutdownTimeoutMs);
      await queue.close();
      transport?.close();
      await db.destroy();
      await Promise.all([connection.quit(), producer.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
