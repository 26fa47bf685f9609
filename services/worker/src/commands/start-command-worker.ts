import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type { WorkerConfig } from '@scimflow/config';
import type { Db } from '@scimflow/db';
import {
  createJobWorker,
  payloadOf,
  QueueName,
  type CommandBatchResult,
  type CommandOutcome,
  type CommittedWrite,
  type JobMap,
  type RedisClient,
} from '@scimflow/jobs';
import { endSpan, startSpanFromTraceparent, type Logger, queueTelemetry } from '@scimflow/telemetry';
import { applyCommandBatch } from './apply-command-batch';
import { recordUnapplied } from './record-effects';
import { publishReply } from './reply-publisher';
import type { Outages } from '../outages';
import type { TenantProfiles } from './tenant-profiles';
import type { WorkerMetrics } from '../worker-metrics';

/** A finished batch in the metrics: its outcome, size, time in the queue and time to apply. */
function observeBatch(metrics: WorkerMetrics, job: Job, outcome: 'completed' | 'failed'): void {
  metrics.batches.inc({ outcome });
  const commands = payloadOf(job, 'commands.apply')?.commands.length;
  if (commands !== undefined) metrics.batchCommands.observe(commands);
  if (job.processedOn === undefined) return;
  // Only a first attempt's wait is queue wait; a retry's includes its backoff.
  if (job.attemptsMade <= 1) metrics.queueWaitSeconds.observe(Math.max(0, job.processedOn - job.timestamp) / 1000);
  if (job.finishedOn !== undefined) metrics.batchSeconds.observe(Math.max(0, job.finishedOn - job.processedOn) / 1000);
}

export interface CommandWorkerDeps {
  readonly config: WorkerConfig;
  readonly db: Db;
  /** BullMQ's blocking connection. */
  readonly connection: RedisClient;
  /** Publishes replies to the waiting ingress. */
  readonly publisher: RedisClient;
  readonly logger: Logger;
  /** Told after each transaction commits: which tenants got events, and whether failures were recorded. */
  readonly afterCommit: (committed: CommittedWrite) => void;
  readonly profiles: TenantProfiles;
  readonly outages: Outages;
  readonly metrics: WorkerMetrics;
}

/**
 * Consumes `commands.apply` with `concurrency` BullMQ workers of one job each: applies each batch in
 * Postgres, then tells the waiting ingress. One worker of concurrency N probes the queue once more
 * per job than N workers of one (its fetch loop asks again as soon as it got a job; measured at
 * 100 jobs/s: 6.9 Redis commands per job against 5.8).
 */
export function startCommandWorkers(deps: CommandWorkerDeps): Worker[] {
  return Array.from({ length: deps.config.concurrency }, () => startCommandWorker(deps));
}

function startCommandWorker(deps: CommandWorkerDeps): Worker {
  const { config, db, publisher, logger } = deps;
  const worker = createJobWorker<'commands', CommandBatchResult>(
    QueueName.commands,
    { 'commands.apply': (data, job) => applyJob(deps, data, job) },
    {
      connection: deps.connection,
      prefix: config.queuePrefix,
      concurrency: 1,
      ...queueTelemetry(config.otel.endpoint, () => new BullMQOtel({ tracerName: 'scimflow' })),
      // The ingress reads a result from here only if it missed the reply; minutes are plenty.
      removeOnComplete: { age: 600 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  );
  worker.on('error', (error) => deps.outages.report(error, 'command worker error'));
  worker.on('completed', (job) => observeBatch(deps.metrics, job, 'completed'));
  worker.on('failed', (job, error) => {
    if (job) observeBatch(deps.metrics, job, 'failed');
    const data = job ? payloadOf(job, 'commands.apply') : undefined;
    if (!job?.id || !data) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    deps.outages.report(error, 'command batch failed', {
      jobId: job.id,
      commands: data.commands.length,
      attempt: job.attemptsMade,
      final,
    });
    if (!final) return;
    // Tell the waiting ingress now instead of letting it time out, and log what never applied.
    // "Not applied" is certain unless an attempt lost its COMMIT or stalled (its worker died).
    const certain = !mayHaveCommitted(job);
    void publishReply(
      publisher,
      data.replyTo,
      job.id,
      data.commands.map(() => unavailable(certain)),
      logger,
    );
    recordUnapplied(db, data.commands, unavailable(false)).catch((err: unknown) =>
      logger.warn({ err }, 'could not log a failed batch'),
    );
  });
  return worker;
}

async function applyJob(
  { config, db, publisher, logger, afterCommit, profiles, outages }: CommandWorkerDeps,
  { commands, replyTo, deadline }: JobMap['commands.apply'],
  job: Job,
): Promise<CommandBatchResult> {
  const jobId = job.id;
  if (!jobId) throw new UnrecoverableError('A command batch needs a job id');
  const spans = commands.map((command) =>
    startSpanFromTraceparent(`scim ${command.name}`, command.traceparent, {
      'scim.command.id': command.id,
      'scim.tenant.id': command.tenantId,
    }),
  );
  let uncertain = false;
  const results = await applyCommandBatch(db, commands, deadline, {
    onUncertainCommit: () => {
      uncertain = true;
    },
    issuer: config.publicUrl,
    // A job BullMQ runs again (a retry, or stalled on a worker that died) may have committed.
    rerun: job.attemptsStarted > 1 || job.attemptsMade > 0,
    onCommitted: afterCommit,
    profiles: (tenantIds) => profiles.of(tenantIds),
    onBug: (error, command) =>
      logger.error({ err: error, commandId: command.id, command: command.name }, 'a command failed unexpectedly'),
  });
  results.forEach((result, index) => {
    const span = spans[index];
    if (span)
      endSpan(span, 'error' in result ? 'not applied' : result.value.ok ? undefined : result.value.error.detail);
  });
  const notApplied = results.find((result) => 'error' in result);
  if (!notApplied) outages.postgres.recovered();
  // Retry the job; commands that did commit are answered from applied_commands next time.
  if (notApplied && 'error' in notApplied) {
    // Kept with the job (in Redis, which is up: this job is running), for its last failure to read.
    if (uncertain) await job.updateProgress({ mayHaveCommitted: true }).catch(() => undefined);
    throw notApplied.error;
  }
  const outcomes = results.map((result) => ('value' in result ? result.value : unavailable(false)));
  await publishReply(publisher, replyTo, jobId, outcomes, logger);
  return outcomes;
}

function unavailable(certain: boolean): CommandOutcome {
  const error = { status: 503, detail: 'The service could not apply the request; try again later' };
  return certain ? { ok: false, error, unapplied: true } : { ok: false, error };
}

/** Whether some attempt of a job may have committed: one lost its COMMIT, or one stalled (its worker died mid-run). */
function mayHaveCommitted(job: Job): boolean {
  const progress: unknown = job.progress;
  const flagged = typeof progress === 'object' && progress !== null && 'mayHaveCommitted' in progress;
  return flagged || job.attemptsStarted > job.attemptsMade;
}
