import { Client } from 'pg';

const RECONNECT_MS = 1_000;

export interface PgListenerOptions {
  readonly databaseUrl: string;
  readonly channel: string;
  readonly applicationName: string;
  readonly onNotification: (payload: string) => void;
  /** Listening (again): notifications sent while we weren't may have been missed. */
  readonly onReady?: () => void;
  readonly onLost?: () => void;
}

/**
 * A dedicated connection LISTENing on one channel, reconnecting every second while Postgres is
 * away. NOTIFY is delivered only to connected listeners, so callers treat onReady as "catch up".
 */
export class PgListener {
  private client: Client | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PgListenerOptions) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Resolves once listening, or rejects with the first connection error (and keeps retrying). */
  async start(): Promise<void> {
    await this.connect().catch((error: unknown) => {
      this.scheduleReconnect();
      throw error;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { databaseUrl, channel, applicationName, onNotification } = this.options;
    const client = new Client({ connectionString: databaseUrl, application_name: applicationName });
    client.on('notification', (message) => {
      if (message.channel === channel) onNotification(message.payload ?? '');
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.client = client;
    this.options.onReady?.();
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.options.onLost?.();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.connect().catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.timer.unref();
  }
}
