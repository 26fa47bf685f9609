import { markRelayed, pendingFailures, type Db } from '@scimflow/db';
import type { JobQueue } from '@scimflow/jobs';
import type { Outages } from '../outages';

const BATCH = 500;

export interface FailureRelayDeps {
  readonly db: Db;
  readonly notifications: JobQueue<'notifications'>;
  readonly pollMs: number;
  readonly outages: Outages;
}

/**
 * Hands committed failure records to the notifier, a batch (one job) at a time: kicked after a
 * commit that wrote failures, and polling for the ones other processes wrote (the ingress's own
 * refusals). Rows are marked relayed only after BullMQ took the job, so a crash in between sends
 * a batch again; the notifier files each failure once by its id.
 */
export class FailureRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: FailureRelayDeps) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.deps.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops taking work and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs a round now, or right after the one in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => this.deps.outages.postgres.recovered())
      .catch((error: unknown) =>
        this.deps.outages.report(error, 'failure relay round failed; retrying on the next poll'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const rows = await pendingFailures(this.deps.db, BATCH);
      if (rows.length === 0) return;
      await this.deps.notifications.add('failures.recorded', { failures: rows.map((row) => row.payload) });
      await markRelayed(
        this.deps.db,
        rows.map((row) => row.id),
      );
      if (rows.length < BATCH) return;
    }
  }
}
