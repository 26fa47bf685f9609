import type { WorkerConfig } from '@scimflow/config';
import type { Db } from '@scimflow/db';
import { createJobWorker, createRedis, JobQueue, QueueName, type CommittedWrite } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';
import type { Outages } from '../outages';
import { DeliveryScheduler } from './delivery-scheduler';
import { FailureRelay } from './failure-relay';
import { WebhookDelivery, type WebhookDeliveryDeps } from './webhook-delivery';
import { uuidv7 } from '@scimflow/db';

const DAY_S = 24 * 3600;

export interface EventServices {
  readonly delivery: WebhookDelivery;
  /** Called after each write transaction commits: starts delivery and the failure relay. */
  afterCommit(committed: CommittedWrite): void;
  /** Stops the relay and delivery runs first, then the consumers. */
  close(force?: boolean): Promise<void>;
}

/**
 * The event side of the worker. Events are delivered from the log (the outbox, numbered at
 * commit), started in-process after each commit and by the maintenance sweep; failure records
 * reach the notifier a batch per job; failed deliveries are retried by delayed jobs.
 */
export function startEventServices(
  config: WorkerConfig,
  db: Db,
  logger: Logger,
  outages: Outages,
  deliveries: WebhookDeliveryDeps['deliveries'],
): EventServices {
  const producer = createRedis(config.redis, 'worker', 'scimflow-events-producer');
  const connection = createRedis(config.redis, 'worker', 'scimflow-events');
  const queueOptions = { connection: producer, prefix: config.queuePrefix };
  const notifications = new JobQueue(QueueName.notifications, {
    ...queueOptions,
    // A batch of failure records is filed idempotently: nothing needs to keep the job afterwards.
    defaultJobOptions: {
      removeOnComplete: true,
      removeOnFail: { age: 7 * DAY_S },
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
    },
  });
  const retries = new JobQueue(QueueName.webhooks, {
    ...queueOptions,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: DAY_S } },
  });

  const delivery = new WebhookDelivery({ db, retries, config: config.webhooks, owner: uuidv7(), logger, deliveries });
  const scheduler = new DeliveryScheduler({ db, delivery, outages });
  const relay = new FailureRelay({ db, notifications, pollMs: config.outboxPollMs, outages });
  const retryWorker = createJobWorker(
    QueueName.webhooks,
    { 'webhook.retry': ({ tenantId, webhookId }) => delivery.drain({ tenantId, id: webhookId }, true) },
    { connection, prefix: config.queuePrefix, concurrency: 4 },
  );
  retryWorker.on('error', (error) => outages.report(error, 'webhook retry worker error'));
  relay.start();

  return {
    delivery,
    afterCommit({ eventTenants, failures }) {
      scheduler.kick(eventTenants);
      if (failures) relay.kick();
    },
    async close(force = false) {
      await Promise.all([relay.stop(), scheduler.stop()]);
      await retryWorker.close(force);
      await Promise.all([notifications.close(), retries.close()]);
      await Promise.all([producer.quit(), connection.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
