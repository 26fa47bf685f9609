import { PgListener } from './pg-listener';

export interface NotifiedCacheOptions<V> {
  readonly databaseUrl: string;
  /** The channel a change's transaction NOTIFYs with the changed key (delivered on commit). */
  readonly channel: string;
  readonly applicationName: string;
  readonly ttlMs: number;
  /** Reads the values of these keys; a key left out of the map has none (an unknown tenant). */
  readonly load: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;
  readonly onLost?: () => void;
}

/**
 * Values read from Postgres kept in memory, evicted on every process at once by the NOTIFY the
 * change's transaction commits. While the LISTEN connection is down nothing is kept (a change
 * could go unnoticed), and a read that overlapped an eviction doesn't store what it read (it may
 * predate the change's commit).
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, { value: V | undefined; expires: number }>();
  private readonly listener: PgListener;
  /** Bumped on every eviction: a read that overlapped one must not store what it read. */
  private epoch = 0;

  constructor(private readonly options: NotifiedCacheOptions<V>) {
    this.listener = new PgListener({
      databaseUrl: options.databaseUrl,
      channel: options.channel,
      applicationName: options.applicationName,
      onNotification: (key) => key && this.evict(key),
      // Reads made while we weren't listening may have missed a change.
      onReady: () => this.clear(),
      onLost: () => {
        this.clear();
        options.onLost?.();
      },
    });
  }

  /** Resolves once listening, or rejects (the cache then reads through until the listener is back). */
  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  async get(key: string): Promise<V | undefined> {
    return (await this.getMany([key])).get(key);
  }

  /** The values of these keys, reading the ones not cached in one go. */
  async getMany(keys: readonly string[]): Promise<Map<string, V | undefined>> {
    const now = Date.now();
    const found = new Map<string, V | undefined>();
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.listener.listening ? this.entries.get(key) : undefined;
      if (cached && cached.expires > now) found.set(key, cached.value);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const epoch = this.epoch;
    const loaded = await this.options.load(missing);
    const keep = this.listener.listening && epoch === this.epoch;
    for (const key of missing) {
      const value = loaded.get(key);
      found.set(key, value);
      if (keep) this.entries.set(key, { value, expires: now + this.options.ttlMs });
    }
    return found;
  }

  /** Drops one key now (a process that changed it itself, before its NOTIFY arrives). */
  evict(key: string): void {
    this.epoch++;
    this.entries.delete(key);
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
  }
}
