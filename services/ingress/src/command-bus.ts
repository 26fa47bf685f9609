import { appliedOutcomeOf, isDatabaseUnavailable, type Db, uuidv7 } from '@scimflow/db';
import {
  CommandBatcher,
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
import { ReplyTracker } from './reply-tracker';

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

/** How long after its arrival a write may wait for Postgres to say whether it was applied. */
const VERDICT_WAIT_MS = 45_000;
const VERDICT_RETRY_MS = 500;

/**
 * Sends SCIM commands to the worker and waits for their outcomes.
 *
 * Commands arriving while earlier batches are in flight are sent together as one job, so
 * BullMQ's per-job cost is paid per batch; the ReplyTracker waits for each job's outcomes. Every
 * command has its own deadline: past it the caller gets a CommandUnavailableError (503), and a
 * job still waiting is removed so it can't apply after the client was told it failed.
 */
export class CommandBus {
  private readonly batcher: CommandBatcher<Command, CommandOutcome>;
  private readonly replies: ReplyTracker;
  private readonly deadlines = new Map<string, number>();
  private readonly channel: string;

  constructor(private readonly options: CommandBusOptions) {
    this.channel = replyChannel(options.prefix, options.instanceId);
    this.replies = new ReplyTracker({
      queue: options.queue,
      subscriber: options.subscriber,
      reader: options.reader,
      channel: this.channel,
      logger: options.logger,
      onSubscribeError: (error) => options.redisOutage.failed(error),
    });
    this.batcher = new CommandBatcher((commands) => this.dispatch(commands), {
      maxBatchSize: options.batchSize,
      maxParallel: options.batchesInFlight,
      eagerParallel: options.eagerBatches,
      patienceMs: options.batchPatienceMs,
    });
  }

  start(): void {
    this.replies.start();
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
  close(): Promise<void> {
    return this.replies.close('The service is shutting down; try again');
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
    const settled = this.replies.expect(jobId, deadline);
    const data: JobMap['commands.apply'] = { replyTo: this.channel, deadline, commands };
    try {
      await this.options.queue.add('commands.apply', data, {
        jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 200 },
      });
    } catch (error) {
      this.replies.forget(jobId);
      this.options.redisOutage.failed(error);
      return commands.map(() => ({ value: neverSent('The provisioning queue is unavailable; try again shortly') }));
    }
    const { outcomes, missing } = await settled;
    return commands.map((_, index) => ({ value: outcomes[index] ?? unavailable(missing) }));
  }
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
