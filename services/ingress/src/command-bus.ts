import { appliedOutcomeOf, isDatabaseUnavailable, type Db, uuidv7 } from '@scimflow/db';
import {
  CommandBatcher,
  parseReply,
  parseStoredOutcomes,
  replyChannel,
  type Command,
  type CommandOutcome,
  type CommandRequest,
  type ItemResult,
  type JobMap,
  type JobQueue,
  type RedisClient,
} from '@scimflow/jobs';
import { currentTraceparent, type Logger } from '@scimflow/telemetry';
import type { BusMetrics } from './http/ingress-metrics';

/** The queue is unreachable, or no worker answered in time: the client should retry later (503). */
export class CommandUnavailableError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'CommandUnavailableError';
  }
}

/** This tenant's own commands have queued here longer than the wait limit: it should slow down (429). */
export class TenantBackloggedError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'TenantBackloggedError';
  }
}

export interface CommandBusOptions {
  readonly queue: JobQueue<'commands'>;
  /** Where a command that may have committed is looked up before anyone is told it failed. */
  readonly db: Db;
  /** A dedicated connection: a subscribed ioredis client can't run other commands. */
  readonly subscriber: RedisClient;
  /** For reading stored job results when a reply was missed. */
  readonly reader: RedisClient;
  readonly prefix: string;
  readonly instanceId: string;
  readonly replyTimeoutMs: number;
  readonly batchSize: number;
  readonly batchesInFlight: number;
  readonly eagerBatches: number;
  readonly batchPatienceMs: number;
  /** New writes are refused at once while the oldest waiting command has waited this long. */
  readonly queueWaitLimitMs: number;
  /** Where a failed enqueue goes: Redis's outage log (a line when it starts and ends, not one per batch). */
  readonly redisOutage: { failed(error: unknown): void };
  readonly metrics: BusMetrics;
  readonly logger: Logger;
}

interface PendingJob {
  /** `missing`: what a command without an outcome is told (the job timed out, the ingress is closing...). */
  readonly resolve: (settled: { outcomes: readonly CommandOutcome[]; missing: string }) => void;
  readonly deadline: number;
  nextPollAt: number;
  pollDelay: number;
}

const FIRST_POLL_MS = 1_000;
/** How long after its arrival a write may wait for Postgres to say whether it was applied. */
const VERDICT_WAIT_MS = 45_000;
const VERDICT_RETRY_MS = 500;
const MAX_POLL_DELAY_MS = 4_000;
const TICK_MS = 250;

/**
 * Sends SCIM commands to the worker and waits for their outcomes.
 *
 * Commands arriving while earlier batches are in flight are sent together as one job, so
 * BullMQ's per-job cost is paid per batch. Replies normally arrive on this instance's pub/sub
 * channel within milliseconds; pub/sub drops messages while the subscriber is disconnected (and
 * QueueEvents has documented gaps: bullmq#2341, #2517, #2749), so a job whose reply is overdue is
 * looked up in its stored result, with backoff. Every command has its own deadline: past it the
 * caller gets a CommandUnavailableError (503), and a job still waiting is removed so it can't
 * apply after the client was told it failed.
 */
export class CommandBus {
  private readonly batcher: CommandBatcher<Command, CommandOutcome>;
  private readonly jobs = new Map<string, PendingJob>();
  private readonly deadlines = new Map<string, number>();
  private readonly channel: string;
  private ticker: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly options: CommandBusOptions) {
    this.channel = replyChannel(options.prefix, options.instanceId);
    this.batcher = new CommandBatcher((commands) => this.dispatch(commands), {
      maxBatchSize: options.batchSize,
      maxParallel: options.batchesInFlight,
      eagerParallel: options.eagerBatches,
      patienceMs: options.batchPatienceMs,
    });
  }

  start(): void {
    const { subscriber } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onReply(message);
    });
    // After a reconnect, replies published meanwhile are gone: look every pending job up now.
    subscriber.on('ready', () => {
      for (const job of this.jobs.values()) job.nextPollAt = 0;
    });
    this.ticker = setInterval(() => void this.poll(), TICK_MS);
    this.ticker.unref();
    // Not awaited: with Redis away at start-up the ingress must still listen (and answer 503s);
    // ioredis subscribes once connected and again after each reconnect, and a reply published
    // before that is found by polling the job's stored result.
    subscriber.subscribe(this.channel).catch((error: unknown) => this.options.redisOutage.failed(error));
  }

  async send(sender: { tenantId: string; requestId?: string }, request: CommandRequest): Promise<CommandOutcome> {
    const started = performance.now();
    const outcome = await this.sendAndWait(sender, request).catch((error: unknown) => {
      this.options.metrics.observeReply((performance.now() - started) / 1000, statusOfThrown(error));
      throw error;
    });
    this.options.metrics.observeReply(
      (performance.now() - started) / 1000,
      outcome.ok ? outcome.status : outcome.error.status,
    );
    return outcome;
  }

  private async sendAndWait(
    sender: { tenantId: string; requestId?: string },
    request: CommandRequest,
  ): Promise<CommandOutcome> {
    const { tenantId, requestId } = sender;
    // Overload is answered early, not by a slow timeout: the tenant whose backlog it is gets 429,
    // everyone else 503 while the service as a whole is behind.
    const limit = this.options.queueWaitLimitMs;
    if (this.batcher.oldestWaitOf(tenantId) > limit)
      throw new TenantBackloggedError('Too many writes for this tenant are waiting; slow down and retry');
    if (this.batcher.oldestWait() > limit)
      throw new CommandUnavailableError('The service is overloaded; the request was not applied. Try again');
    const traceparent = currentTraceparent();
    const command: Command = {
      ...request,
      id: uuidv7(),
      tenantId,
      receivedAt: Date.now(),
      ...(traceparent ? { traceparent } : {}),
      ...(requestId ? { requestId } : {}),
    };
    const deadline = Date.now() + this.options.replyTimeoutMs;
    this.deadlines.set(command.id, deadline);
    let timer: NodeJS.Timeout | undefined;
    // Bounds the wait even while the command is still queued behind busy batches.
    const expiry = new Promise<CommandOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve(unavailable('No worker answered in time; the request was not applied. Try again')),
        this.options.replyTimeoutMs + 50,
      );
    });
    try {
      const outcome = await Promise.race([this.batcher.submit(command, tenantId), expiry]);
      if (outcome.ok || outcome.error.status !== 503) return outcome;
      if (NEVER_SENT.has(outcome) || outcome.unapplied) throw new CommandUnavailableError(outcome.error.detail);
      // "Not applied" must be true: a batch that failed for good, or a reply that never came, may
      // still have committed this command. The worker commits nothing within COMMIT_MARGIN_MS of
      // the deadline, so what applied_commands says now is final.
      const verdict = await this.verdictOf(command);
      if (verdict === 'unknown')
        throw new CommandUnavailableError(
          'The database is unavailable, so whether the request was applied is not known; retry it (a create that was applied answers 409)',
        );
      if (verdict) {
        this.options.logger.info({ commandId: command.id }, 'answered a committed command whose reply was lost');
        return verdict;
      }
      throw new CommandUnavailableError(outcome.error.detail);
    } finally {
      clearTimeout(timer);
      this.deadlines.delete(command.id);
    }
  }

  /**
   * What applied_commands says about a command: its outcome, undefined (not applied), or 'unknown'
   * while Postgres can't be read. A client is never told "not applied" about a write that
   * committed, so while the database is away the answer waits for it, up to VERDICT_WAIT_MS after
   * the request arrived (inside Entra's 60 s).
   */
  private async verdictOf(command: Command): Promise<CommandOutcome | undefined | 'unknown'> {
    const giveUpAt =
      (command.receivedAt ?? Date.now()) + Math.max(VERDICT_WAIT_MS, this.options.replyTimeoutMs + 1_000);
    for (;;) {
      try {
        return await appliedOutcomeOf(this.options.db, command);
      } catch (error) {
        if (!isDatabaseUnavailable(error) || Date.now() >= giveUpAt) return 'unknown';
        await new Promise((resolve) => setTimeout(resolve, VERDICT_RETRY_MS));
      }
    }
  }

  /** Stops listening. Callers drain HTTP first, so nothing should be pending; anything left gets a 503. */
  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    for (const [jobId, job] of this.jobs) {
      this.jobs.delete(jobId);
      job.resolve({ outcomes: [], missing: 'The service is shutting down; try again' });
    }
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Sends one batch as one job and waits for its outcomes. */
  private async dispatch(commands: readonly Command[]): Promise<ItemResult<CommandOutcome>[]> {
    const now = Date.now();
    const deadline = Math.min(...commands.map((command) => this.deadlines.get(command.id) ?? now));
    if (deadline <= now)
      return commands.map(() => ({
        value: neverSent('The request waited too long for the queue; it was not applied'),
      }));
    const jobId = uuidv7();
    this.options.metrics.observeBatch(commands.length);
    const settled = new Promise<{ outcomes: readonly CommandOutcome[]; missing: string }>((resolve) => {
      this.jobs.set(jobId, { resolve, deadline, nextPollAt: now + FIRST_POLL_MS, pollDelay: FIRST_POLL_MS });
    });
    const data: JobMap['commands.apply'] = { replyTo: this.channel, deadline, commands };
    try {
      await this.options.queue.add('commands.apply', data, {
        jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 200 },
      });
    } catch (error) {
      this.jobs.delete(jobId);
      this.options.redisOutage.failed(error);
      return commands.map(() => ({ value: neverSent('The provisioning queue is unavailable; try again shortly') }));
    }
    const { outcomes, missing } = await settled;
    return commands.map((_, index) => ({ value: outcomes[index] ?? unavailable(missing) }));
  }

  private onReply(message: string): void {
    const reply = parseReply(message);
    if (reply) this.settle(reply.jobId, reply.outcomes);
    else this.options.logger.warn('ignoring an unreadable reply message');
  }

  private settle(
    jobId: string,
    outcomes: readonly CommandOutcome[],
    missing = 'The service could not apply the request; try again later',
  ): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.delete(jobId);
    job.resolve({ outcomes, missing });
  }

  /** Looks up the stored result of every job whose reply is overdue, in one pipeline. */
  private async poll(): Promise<void> {
    if (this.polling || this.jobs.size === 0) return;
    this.polling = true;
    try {
      const now = Date.now();
      const due = [...this.jobs].filter(([, job]) => job.nextPollAt <= now || job.deadline <= now);
      if (due.length === 0) return;
      const pipeline = this.options.reader.pipeline();
      for (const [jobId] of due) pipeline.hmget(this.options.queue.toKey(jobId), 'finishedOn', 'returnvalue');
      const replies = await pipeline.exec().catch(() => null);
      for (const [index, [jobId, job]] of due.entries()) {
        const fields = replies?.[index]?.[1];
        const stored = Array.isArray(fields) ? storedOutcomes(fields) : undefined;
        if (stored) this.settle(jobId, stored);
        else if (job.deadline <= now) await this.expire(jobId);
        else {
          job.nextPollAt = now + job.pollDelay;
          job.pollDelay = Math.min(job.pollDelay * 2, MAX_POLL_DELAY_MS);
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private async expire(jobId: string): Promise<void> {
    // A job still waiting is removed, so it can never apply after the client was told 503.
    // One already running may still commit; the client's retry then sees its effect.
    await this.options.queue.remove(jobId).catch(() => 0);
    this.settle(jobId, [], 'No worker answered in time; the request was not applied. Try again');
  }
}

/** A finished job's stored outcomes; a job that failed for good answers 503 for each command. */
function storedOutcomes([finishedOn, returnvalue]: unknown[]): readonly CommandOutcome[] | undefined {
  if (!finishedOn) return undefined;
  // A job that failed once and then completed keeps its old failedReason; the return value wins.
  // Unreadable or absent: an empty list, answered 503 per command.
  return (typeof returnvalue === 'string' ? parseStoredOutcomes(returnvalue) : undefined) ?? [];
}

/** The status a thrown send error is answered with (see the error handler). */
function statusOfThrown(error: unknown): number {
  if (error instanceof TenantBackloggedError) return 429;
  return 503;
}

function unavailable(detail: string): CommandOutcome {
  return { ok: false, error: { status: 503, detail } };
}

/** Outcomes of commands that never reached a worker: certainly not applied, nothing to look up. */
const NEVER_SENT = new WeakSet<CommandOutcome>();
function neverSent(detail: string): CommandOutcome {
  const outcome = unavailable(detail);
  NEVER_SENT.add(outcome);
  return outcome;
}
