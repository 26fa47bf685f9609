import { CommandBatcher } from './command-batcher';

describe('CommandBatcher', () => {
  it('sends items submitted together in one batch, and answers each', async () => {
    const batches: number[][] = [];
    const batcher = new CommandBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        return items.map((item) => ({ value: item * 10 }));
      },
      { maxBatchSize: 100, maxParallel: 1 },
    );
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('respects the batch size and the parallel limit, queueing the rest', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sizes: number[] = [];
    const batcher = new CommandBatcher<number, number>(
      async (items) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        sizes.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return items.map((item) => ({ value: item }));
      },
      { maxBatchSize: 4, maxParallel: 2 },
    );
    await Promise.all(Array.from({ length: 20 }, (_, n) => batcher.submit(n)));
    expect(maxInFlight).toBe(2);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    expect(batcher.load).toBe(0);
  });

  it('starts flushes past the eager ones only once an item has waited the patience, with all that waited', async () => {
    const started: { at: number; items: number[] }[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new CommandBatcher<number, number>(
      async (items) => {
        started.push({ at: Date.now(), items: [...items] });
        if (items.includes(0)) await gate;
        return items.map((item) => ({ value: item }));
      },
      { maxBatchSize: 100, maxParallel: 3, eagerParallel: 1, patienceMs: 300 },
    );
    const t0 = Date.now();
    const first = batcher.submit(0);
    await new Promise((resolve) => setImmediate(resolve));
    // The eager slot is taken by a flush that hangs: these wait out the patience, then go out together.
    const later = [1, 2, 3].map((n) => batcher.submit(n));
    await Promise.all(later);
    expect(started.map((s) => s.items)).toEqual([[0], [1, 2, 3]]);
    expect((started[1]?.at ?? 0) - t0).toBeGreaterThanOrEqual(290);
    release();
    await first;
    // Idle again: a lone item goes out at once, not after the patience.
    const before = Date.now();
    await batcher.submit(4);
    expect(Date.now() - before).toBeLessThan(250);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batcher.load).toBe(0);
  });

  it('fails only the items that failed, or the whole batch when the flush throws', async () => {
    const batcher = new CommandBatcher<number, number>(
      async (items) => {
        if (items.includes(99)) throw new Error('database down');
        return items.map((item) => (item === 2 ? { error: new Error('bad item') } : { value: item }));
      },
      { maxBatchSize: 10, maxParallel: 1 },
    );
    const settled = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    await expect(batcher.submit(99)).rejects.toThrow('database down');
  });
});

describe('CommandBatcher fairness', () => {
  it("takes keys in turn: a key with a long line delays another key's item by one flush at most", async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new CommandBatcher<string, string>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await gate;
        return items.map((value) => ({ value }));
      },
      { maxBatchSize: 4, maxParallel: 1 },
    );
    // The first flush holds the only slot while a big tenant queues 12 and a small one 2.
    const first = batcher.submit('big-0', 'big');
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [
      ...Array.from({ length: 12 }, (_, n) => batcher.submit(`big-${n + 1}`, 'big')),
      batcher.submit('small-1', 'small'),
      batcher.submit('small-2', 'small'),
    ];
    expect(batcher.oldestWait()).toBeGreaterThanOrEqual(0);
    release();
    await Promise.all([first, ...rest]);
    expect(batches[0]).toEqual(['big-0']);
    // The next flush already carries both of the small tenant's items.
    expect(batches[1]).toEqual(['big-1', 'small-1', 'big-2', 'small-2']);
    expect(batches.slice(2).flat()).toEqual(Array.from({ length: 10 }, (_, n) => `big-${n + 3}`));
  });

  it('tells how long the oldest waiting item has waited', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new CommandBatcher<number, number>(
      async (items) => {
        await gate;
        return items.map((value) => ({ value }));
      },
      { maxBatchSize: 10, maxParallel: 1 },
    );
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.submit(2);
    expect(batcher.oldestWait(Date.now() + 500)).toBeGreaterThanOrEqual(500);
    release();
    await Promise.all([first, second]);
    expect(batcher.oldestWait()).toBe(0);
  });
});
