/** What one submitted item came to: a value, or an error for that item alone. */
export type ItemResult<R> = { readonly value: R } | { readonly error: unknown };

export interface BatcherOptions {
  /** Most items one flush takes. */
  readonly maxBatchSize: number;
  /** Most flushes in progress at once. */
  readonly maxParallel: number;
  /**
   * Flushes that start as soon as items wait; past them (up to maxParallel) one starts only once
   * the oldest waiting item has waited `patienceMs`, so items share flushes instead of each taking a
   * slot, while a slow flush still can't hold the others up for longer than that. Default: maxParallel.
   */
  readonly eagerParallel?: number;
  readonly patienceMs?: number;
}

interface Pending<T, R> {
  readonly item: T;
  readonly at: number;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit, fair between keys (tenants). Items submitted while every flush slot is busy wait
 * and go out together in the next flush, so under load one flush (one queue job, one
 * transaction) carries many items, and when idle a lone item goes out on the next tick with no
 * added delay. Each key has its own line; a flush takes from the lines in turn, one item each,
 * so a key with thousands waiting delays another key's item by one flush at most.
 */
export class CommandBatcher<T, R> {
  /** Lines by key, in the order they are served (a Map iterates in insertion order). */
  private readonly lines = new Map<string, Pending<T, R>[]>();
  private waiting = 0;
  private running = 0;
  private scheduled = false;
  private patienceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flushBatch: (items: readonly T[]) => Promise<readonly ItemResult<R>[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: T, key = ''): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const line = this.lines.get(key);
      const entry = { item, at: Date.now(), resolve, reject };
      if (line) line.push(entry);
      else this.lines.set(key, [entry]);
      this.waiting++;
      this.schedule();
    });
  }

  /** Items waiting for a flush slot plus flushes in progress; zero when idle. */
  get load(): number {
    return this.waiting + this.running;
  }

  /** How long the item that has waited longest for a flush slot has waited (ms); 0 when none waits. */
  oldestWait(now = Date.now()): number {
    let oldest = now;
    for (const line of this.lines.values()) oldest = Math.min(oldest, line[0]?.at ?? now);
    return now - oldest;
  }

  /** The same for one key's line. */
  oldestWaitOf(key: string, now = Date.now()): number {
    return now - (this.lines.get(key)?.[0]?.at ?? now);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every request that arrives in this tick join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const { maxParallel, eagerParallel = maxParallel, patienceMs = 0 } = this.options;
    while (this.waiting > 0 && this.running < maxParallel) {
      const waited = this.running >= eagerParallel ? this.oldestWait() : patienceMs;
      if (waited < patienceMs) {
        this.drainAfter(patienceMs - waited);
        return;
      }
      const batch = this.takeBatch();
      this.running++;
      void this.flush(batch).finally(() => {
        this.running--;
        if (this.waiting > 0) this.schedule();
      });
    }
  }

  private drainAfter(ms: number): void {
    if (this.patienceTimer) return;
    this.patienceTimer = setTimeout(() => {
      this.patienceTimer = undefined;
      this.drain();
    }, ms);
  }

  /** Round robin over the keys' lines; a key served moves to the back, an emptied line is dropped. */
  private takeBatch(): Pending<T, R>[] {
    const batch: Pending<T, R>[] = [];
    while (batch.length < this.options.maxBatchSize && this.lines.size > 0) {
      // One pass over the keys as they stand; re-adding a key moves it to the back of the order.
      for (const key of Array.from(this.lines.keys())) {
        if (batch.length >= this.options.maxBatchSize) break;
        const line = this.lines.get(key) ?? [];
        const entry = line.shift();
        if (entry) batch.push(entry);
        this.lines.delete(key);
        if (line.length > 0) this.lines.set(key, line);
      }
    }
    this.waiting -= batch.length;
    return batch;
  }

  private async flush(batch: readonly Pending<T, R>[]): Promise<void> {
    let results: readonly ItemResult<R>[];
    try {
      results = await this.flushBatch(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => {
      const result = results[index];
      if (!result) entry.reject(new Error('batch returned no result for an item'));
      else if ('value' in result) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  }
}
