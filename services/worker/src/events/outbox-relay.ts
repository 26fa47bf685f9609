import { markRelayed, OUTBOX_CHANNEL, PgListener, sequencePending, type Db } from '@scimflow/db';
import type { JobQueue, JobRequest } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';

const BATCH = 500;

export interface OutboxRelayDeps {
  readonly db: Db;
  readonly databaseUrl: string;
  readonly events: JobQueue<'events'>;
  readonly notifications: JobQueue<'notifications'>;
  readonly pollMs: number;
  readonly logger: Logger;
}

/**
 * Moves committed outbox rows to BullMQ: woken by the NOTIFY each write transaction commits, and
 * polling as a fallback. Sequencing commits before publishing, publishing uses the outbox id as
 * the job id, and rows are marked relayed only after BullMQ accepted them: a crash anywhere
 * re-publishes at most, and BullMQ drops a job id it already holds (completed jobs are kept a day).
 */
export class OutboxRelay {
  private readonly listener: PgListener;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: OutboxRelayDeps) {
    this.listener = new PgListener({
      databaseUrl: deps.databaseUrl,
      channel: OUTBOX_CHANNEL,
      applicationName: 'scimflow-outbox-relay',
      onNotification: () => this.kick(),
      onReady: () => this.kick(),
    });
  }

  async start(): Promise<void> {
    await this.listener
      .start()
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'outbox listener unavailable; polling'));
    this.timer = setInterval(() => this.kick(), this.deps.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops taking work and waits for a relay round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.listener.stop();
    await this.running;
  }

  /** Runs a relay round now, or right after the one in progress (NOTIFYs arrive in bursts). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, 'outbox relay round failed; retrying on the next poll'),
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
      // Undefined: another worker's relay is sequencing right now and will publish these rows.
      const rows = await sequencePending(this.deps.db, BATCH);
      if (!rows || rows.length === 0) return;
      const events: JobRequest<'events'>[] = [];
      const failures: JobRequest<'notifications'>[] = [];
      for (const row of rows) {
        if (row.kind === 'event') {
          const data = { ...row.payload, sequence: row.sequence };
          events.push({ name: 'event.published', data, opts: { jobId: row.id } });
        } else failures.push({ name: 'failure.recorded', data: row.payload, opts: { jobId: row.id } });
      }
      if (events.length > 0) await this.deps.events.addBulk(events);
      if (failures.length > 0) await this.deps.notifications.addBulk(failures);
      await markRelayed(
        this.deps.db,
        rows.map((row) => row.id),
      );
      if (rows.length < BATCH) return;
    }
  }
}
