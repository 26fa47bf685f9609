import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type { WorkerConfig } from '@scimflow/config';
import { createDatabase } from '@scimflow/db';
import {
  createRedis,
  QueueName,
  type CommandBatchResult,
  type CommandOutcome,
  type JobMap,
  type JobName,
} from '@scimflow/jobs';
import { sql } from 'kysely';
import {
  checkReadiness,
  closeConsumers,
  endSpan,
  portOf,
  startHealthServer,
  startSpanFromTraceparent,
  type Logger,
} from '@scimflow/telemetry';
import { applyCommandBatch } from './apply-command-batch';

import { runMaintenance, scheduleMaintenance, type MaintenanceJob } from './maintenance';
import { recordUnapplied } from './record-effects';
import { publishReply } from './reply-publisher';
import { startEventServices } from './start-event-services';

export interface WorkerHandle {
  /** Port of the /healthz and /readyz server. */
  readonly healthPort: number;
  /** Stops taking jobs, lets the ones in progress finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, logger: Logger): Promise<WorkerHandle> {
  const db = createDatabase({
    url: config.databaseUrl,
    poolSize: config.db.poolSize,
    applicationName: 'scimflow-worker',
  });
  const connection = createRedis(config.redisUrl, 'worker', 'scimflow-worker');
  const publisher = createRedis(config.redisUrl, 'worker', 'scimflow-worker-replies');

  const worker = new Worker<JobMap[JobName], CommandBatchResult, JobName>(
    QueueName.commands,
    async (job) => {
      if (job.name !== 'commands.apply' || !job.id) throw new UnrecoverableError(`Unknown job '${job.name}'`);
      const { commands, replyTo, deadline } = job.data as JobMap['commands.apply'];
      const spans = commands.map((command) =>
        startSpanFromTraceparent(`scim ${command.name}`, command.traceparent, {
          'scim.command.id': command.id,
          'scim.tenant.id': command.tenantId,
        }),
      );
      const results = await applyCommandBatch(db, commands, deadline, { issuer: config.publicUrl });
      results.forEach((result, index) => {
        const span = spans[index];
        if (span)
          endSpan(span, 'error' in result ? 'not applied' : result.value.ok ? undefined : result.value.error.detail);
      });
      const notApplied = results.find((result) => 'error' in result);
      // Retry the job; commands that did commit are answered from applied_commands next time.
      if (notApplied && 'error' in notApplied) throw notApplied.error;
      const outcomes = results.map((result) => ('value' in result ? result.value : unavailable()));
      await publishReply(publisher, replyTo, job.id, outcomes, logger);
      return outcomes;
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.concurrency,
      telemetry: new BullMQOtel({ tracerName: 'scimflow' }),
      // The ingress reads a result from here only if it missed the reply; minutes are plenty.
      removeOnComplete: { age: 600 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'command worker error'));
  worker.on('failed', (job, error) => {
    if (!job?.id || job.name !== 'commands.apply') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    logger.warn(
      {
        jobId: job.id,
        commands: (job.data as JobMap['commands.apply']).commands.length,
        attempt: job.attemptsMade,
        final,
        err: error,
      },
      'command batch failed',
    );
    if (final) {
      // Tell the waiting ingress now instead of letting it time out, and log what never applied.
      const { replyTo, commands } = job.data as JobMap['commands.apply'];
      void publishReply(publisher, replyTo, job.id, commands.map(unavailable), logger);
      recordUnapplied(db, commands, unavailable()).catch((err: unknown) =>
        logger.warn({ err }, 'could not log a failed batch'),
      );
    }
  });

  const events = await startEventServices(config, db, logger);

  const maintenanceConnection = createRedis(config.redisUrl, 'worker', 'scimflow-maintenance');
  const maintenanceQueue = new Queue(QueueName.maintenance, {
    connection: maintenanceConnection,
    prefix: config.queuePrefix,
  });
  await scheduleMaintenance(maintenanceQueue);
  const maintenance = new Worker<JobMap[MaintenanceJob], number, MaintenanceJob>(
    QueueName.maintenance,
    (job) => runMaintenance(job, { db, delivery: events.delivery, logger }),
    {
      connection: maintenanceConnection,
      prefix: config.queuePrefix,
      concurrency: 1,
      removeOnComplete: { count: 10 },
      removeOnFail: { count: 100 },
    },
  );
  maintenance.on('error', (error) => logger.error({ err: error }, 'maintenance worker error'));

  const health = await startHealthServer(
    config.healthPort,
    () => worker.isRunning(),
    () => checkReadiness({ postgres: () => sql`select 1`.execute(db), redis: () => connection.ping() }),
  );
  logger.info({ concurrency: config.concurrency, healthPort: portOf(health) }, 'worker started');

  return {
    healthPort: portOf(health),
    async close() {
      health.close();
      if (await closeConsumers([worker, maintenance, events], config.shutdownTimeoutMs)) {
        logger.warn('shutdown timeout reached; unfinished jobs will be retried by another worker');
      }
      await maintenanceQueue.close();
      await db.destroy();
      await Promise.all(
        [connection.quit(), publisher.quit(), maintenanceConnection.quit()].map((p) => p.catch(() => undefined)),
      );
    },
  };
}

function unavailable(): CommandOutcome {
  return { ok: false, error: { status: 503, detail: 'The service could not apply the request; try again later' } };
}
