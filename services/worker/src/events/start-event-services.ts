import type { Worker } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import type { WorkerConfig } from '@scimflow/config';
import type { Db } from '@scimflow/db';
import { createJobWorker, createRedis, JobQueue, QueueName } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';
import { OutboxRelay } from './outbox-relay';
import { WebhookDelivery } from './webhook-delivery';

const DAY_S = 24 * 3600;

export interface EventServices {
  readonly delivery: WebhookDelivery;
  readonly workers: readonly Worker[];
  /** Stops the relay first (nothing new is published), then the consumers. */
  close(force?: boolean): Promise<void>;
}

/** The relay (outbox → BullMQ) and the consumers that deliver events to webhooks. */
export async function startEventServices(config: WorkerConfig, db: Db, logger: Logger): Promise<EventServices> {
  const producer = createRedis(config.redisUrl, 'worker', 'scimflow-events-producer');
  const connection = createRedis(config.redisUrl, 'worker', 'scimflow-events');
  const queueOptions = { connection: producer, prefix: config.queuePrefix };
  // Completed event jobs stay a day: a relay that re-publishes after a crash hits an existing job id.
  const events = new JobQueue(QueueName.events, {
    ...queueOptions,
    defaultJobOptions: {
      removeOnComplete: { age: DAY_S },
      removeOnFail: { age: 7 * DAY_S },
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
    },
  });
  const notifications = new JobQueue(QueueName.notifications, {
    ...queueOptions,
    defaultJobOptions: {
      removeOnComplete: { age: DAY_S },
      removeOnFail: { age: 7 * DAY_S },
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
    },
  });
  const retries = new JobQueue(QueueName.webhooks, {
    ...queueOptions,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: DAY_S } },
  });

  const delivery = new WebhookDelivery({ db, retries, config: config.webhooks, owner: uuidv7(), logger });
  const relay = new OutboxRelay({
    db,
    databaseUrl: config.databaseUrl,
    events,
    notifications,
    pollMs: config.outboxPollMs,
    logger,
  });

  const workerOptions = { connection, prefix: config.queuePrefix, concurrency: 4 };
  const eventWorker = createJobWorker(
    QueueName.events,
    { 'event.published': (event) => delivery.deliverTenant(event.tenant) },
    workerOptions,
  );
  const retryWorker = createJobWorker(
    QueueName.webhooks,
    { 'webhook.retry': ({ tenantId, webhookId }) => delivery.drain({ tenantId, id: webhookId }, true) },
    workerOptions,
  );
  for (const worker of [eventWorker, retryWorker])
    worker.on('error', (error) => logger.error({ err: error }, 'event worker error'));
  await relay.start();

  return {
    delivery,
    workers: [eventWorker, retryWorker],
    async close(force = false) {
      await relay.stop();
      await Promise.all([eventWorker.close(force), retryWorker.close(force)]);
      await Promise.all([events.close(), notifications.close(), retries.close()]);
      await Promise.all([producer.quit(), connection.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
