import { parseReply, parseStoredOutcomes, type CommandOutcome, type JobQueue, type RedisClient } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';

/** What a job's commands are told: its outcomes, and `missing` for a command without one (timed out, closing...). */
export interface SettledJob {
  readonly outcomes: readonly CommandOutcome[];
  readonly missing: string;
}

export interface ReplyTrackerOptions {
  /** Where stored results live, and where a job past its deadline is removed from. */
  readonly queue: Pick<JobQueue<'commands'>, 'toKey' | 'remove'>;
  /** A dedicated connection: a subscribed ioredis client can't run other commands. */
  readonly subscriber: RedisClient;
  /** For reading stored job results when a reply was missed. */
  readonly reader: RedisClient;
  /** This instance's reply channel. */
  readonly channel: string;
  readonly logger: Logger;
  /** Told when subscribing fails (Redis's outage log). */
  readonly onSubscribeError: (error: unknown) => void;
}

interface PendingJob {
  readonly resolve: (settled: SettledJob) => void;
  readonly deadline: number;
  nextPollAt: number;
  pollDelay: number;
}

const FIRST_POLL_MS = 1_000;
const MAX_POLL_DELAY_MS = 4_000;
const TICK_MS = 250;

/**
 * Waits for the outcomes of sent jobs. Replies normally arrive on this instance's pub/sub channel
 * within milliseconds; pub/sub drops messages while the subscriber is disconnected (and
 * QueueEvents has documented gaps: bullmq#2341, #2517, #2749), so a job whose reply is overdue is
 * looked up in its stored result, with backoff. A job past its deadline is removed if still
 * waiting, so it can't apply after its clients were told it failed.
 */
export class ReplyTracker {
  private readonly jobs = new Map<string, PendingJob>();
  private ticker: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly options: ReplyTrackerOptions) {}

  start(): void {
    const { subscriber, channel } = this.options;
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.onReply(message);
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
    subscriber.subscribe(channel).catch(this.options.onSubscribeError);
  }

  /** Starts waiting for a job about to be sent; `forget` it if sending failed. */
  expect(jobId: string, deadline: number): Promise<SettledJob> {
    const now = Date.now();
    return new Promise((resolve) => {
      this.jobs.set(jobId, { resolve, deadline, nextPollAt: now + FIRST_POLL_MS, pollDelay: FIRST_POLL_MS });
    });
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** Stops listening; every job still awaited is told `missing`. */
  async close(missing: string): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    for (const jobId of this.jobs.keys()) this.settle(jobId, [], missing);
    await this.options.subscriber.unsubscribe(this.options.channel).catch(() => undefined);
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
