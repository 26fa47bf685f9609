/** What one submitted item came to: a value, or an error for that item alone. */
export type ItemResult<R> = { readonly value: R } | { readonly error: unknown };

export interface BatcherOptions {
  /** Most items one flush takes. */
  readonly maxBatchSize: number;
  /** Most flushes in progress at once. */
  readonly maxParallel: number;
}

/**
 * Group commit: items submitted while every flush slot is busy wait and go out together in the
 * next flush, so under load one flush (one queue job, one transaction) carries many items, and
 * when idle a lone item goes out on the next tick with no added delay.
 */
export class CommandBatcher<T, R> {
  private readonly pending: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly flushBatch: (items: readonly T[]) => Promise<readonly ItemResult<R>[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a flush slot plus flushes in progress; zero when idle. */
  get load(): number {
    return this.pending.length + this.running;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every job BullMQ hands over in this tick join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.pending.length > 0 && this.running < this.options.maxParallel) {
      const batch = this.pending.splice(0, this.options.maxBatchSize);
      this.running++;
      void this.flush(batch).finally(() => {
        this.running--;
        if (this.pending.length > 0) this.schedule();
      });
    }
  }

  private async flush(batch: typeof this.pending): Promise<void> {
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
