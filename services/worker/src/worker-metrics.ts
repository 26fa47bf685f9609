import { Counter, Gauge, Histogram } from 'prom-client';
import { deliveryLag, type Db } from '@scimflow/db';
import type { JobQueue, QueueName } from '@scimflow/jobs';
import { createMetricsRegistry, type Registry } from '@scimflow/telemetry';

/** What the worker's /metrics says (issue 11): command batches, queue wait and depth, webhook deliveries. */
export interface WorkerMetrics {
  readonly registry: Registry;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  readonly batches: Counter<'outcome'>;
  readonly batchCommands: Histogram;
  readonly batchSeconds: Histogram;
  readonly queueWaitSeconds: Histogram;
  readonly deliveries: Counter<'outcome'>;
}

export function createWorkerMetrics(queues: readonly JobQueue<QueueName>[], db: Db): WorkerMetrics {
  const registry = createMetricsRegistry('worker');
  const registers = [registry];
  // Registered by construction; read by Prometheus only, through the registry.
  const queueJobs = new Gauge({
    name: 'scimflow_queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          // Redis away: the series are absent for this scrape rather than the scrape failing.
          const counts = await queue.jobCounts().catch(() => ({}));
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        }),
      );
    },
  });
  const lag = () => deliveryLag(db).catch(() => undefined);
  // One query per scrape, shared by the gauges below (each collect() would otherwise run it).
  let pending: ReturnType<typeof lag> | undefined;
  const lagNow = () => {
    pending ??= lag().finally(() => setTimeout(() => (pending = undefined), 1_000).unref());
    return pending;
  };
  const gauge = (name: string, help: string, pick: (figures: NonNullable<Awaited<ReturnType<typeof lag>>>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const figures = await lagNow();
        if (figures) this.set(pick(figures));
      },
    });
  gauge('scimflow_webhook_endpoints_behind', 'Webhook endpoints with undelivered events', (f) => f.endpointsBehind);
  gauge('scimflow_webhook_lag_events_max', 'Most undelivered events of any one endpoint', (f) => f.maxLag);
  gauge('scimflow_webhook_lag_events_total', 'Undelivered events summed over endpoints', (f) => f.totalLag);
  gauge(
    'scimflow_outbox_failures_pending',
    'Failure records not yet relayed to the notifier',
    (f) => f.failuresPending,
  );
  gauge(
    'scimflow_outbox_failure_lag_seconds',
    'Age of the oldest failure record not yet relayed',
    (f) => f.oldestPendingFailureSeconds,
  );
  return {
    registry,
    queueJobs,
    batches: new Counter({
      name: 'scimflow_command_batches_total',
      help: 'Command batches (queue jobs) finished, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    batchCommands: new Histogram({
      name: 'scimflow_command_batch_commands',
      help: 'Commands per applied batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'scimflow_command_batch_duration_seconds',
      help: 'Time to apply a batch, from the worker taking it to its reply',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueWaitSeconds: new Histogram({
      name: 'scimflow_queue_wait_seconds',
      help: 'Time a command batch waited in the queue before a worker took it',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    deliveries: new Counter({
      name: 'scimflow_webhook_deliveries_total',
      help: 'Webhook event posts, by outcome (delivered, failed: retried later, dead_lettered)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
