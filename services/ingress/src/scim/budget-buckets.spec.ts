import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnvironment } from '../../../../tests/support/test-database';
import { BudgetBuckets, type BucketSpec } from './budget-buckets';

describe('budget buckets', () => {
  let redis: Redis;
  const prefix = `bb-${randomBytes(4).toString('hex')}`;
  const errors: unknown[] = [];
  const spec = (name: string, budget: Partial<BucketSpec> = {}): BucketSpec => ({
    keys: [`${prefix}:{${name}}:bucket`, `${prefix}:{${name}}:in-flight`],
    intervalMs: 1000,
    burst: 3,
    inFlightLimit: 0,
    leaseMs: 60_000,
    ...budget,
  });

  beforeAll(() => {
    redis = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('decides concurrent requests of one bucket together, granting exactly what the bucket holds, in order', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const asks = jest.spyOn(redis, 'evalsha');
    const bucket = spec('burst');
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => buckets.admit(bucket, undefined)));
    expect(verdicts.map((verdict) => verdict?.admitted)).toEqual([true, true, true, ...Array(7).fill(false)]);
    // The first request is asked alone; the nine that arrived while it was out, in one round trip.
    expect(asks).toHaveBeenCalledTimes(2);
    for (const verdict of verdicts.slice(3)) {
      expect(verdict).toMatchObject({ admitted: false, inFlight: false });
      if (verdict?.admitted === false) expect(verdict.waitMs).toBeGreaterThan(0);
      if (verdict?.admitted === false) expect(verdict.waitMs).toBeLessThanOrEqual(1000);
    }
    // Another ingress (another instance) shares the bucket: nothing is left for it either.
    const other = new BudgetBuckets(redis, (error) => errors.push(error));
    expect(await other.admit(bucket, undefined)).toMatchObject({ admitted: false });
    expect(errors).toEqual([]);
  });

  it('asks for a write alone, one round trip each', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const asks = jest.spyOn(redis, 'evalsha');
    const bucket = spec('writes', { burst: 2, inFlightLimit: 10 });
    const verdicts = await Promise.all(['a', 'b', 'c'].map((id) => buckets.admitOne(bucket, id)));
    expect(verdicts.map((answer) => answer?.verdict.admitted)).toEqual([true, true, false]);
    expect(asks).toHaveBeenCalledTimes(3);
    expect(errors).toEqual([]);
  });

  it('grants places ahead after the write asked for, only as far as the budget allows', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const bucket = spec('ahead', { burst: 4, inFlightLimit: 3 });
    const first = await buckets.admitOne(bucket, 'w1', ['w1+1', 'w1+2', 'w1+3']);
    // Three places fit in flight: the write's own and two ahead.
    expect(first).toEqual({ verdict: { admitted: true }, ahead: ['w1+1', 'w1+2'] });
    expect((await redis.zrange(bucket.keys[1], '0', '-1')).toSorted()).toEqual(['w1', 'w1+1', 'w1+2']);
    // The places ahead are spent for everyone: another write finds the set full.
    expect(await buckets.admitOne(bucket, 'w2', ['w2+1'])).toEqual({
      verdict: { admitted: false, waitMs: 1000, inFlight: true },
      ahead: [],
    });
    expect(errors).toEqual([]);
  });

  it('takes back unused places ahead: their in-flight members and their rate tokens', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const bucket = spec('give-back', { burst: 3, inFlightLimit: 10 });
    expect((await buckets.admitOne(bucket, 'v1', ['v1+1', 'v1+2']))?.ahead).toEqual(['v1+1', 'v1+2']);
    expect((await buckets.admitOne(bucket, 'v2'))?.verdict.admitted).toBe(false);
    await buckets.giveBack(bucket, ['v1+1', 'v1+2']);
    expect(await redis.zrange(bucket.keys[1], '0', '-1')).toEqual(['v1']);
    // Both tokens are back, and no more: the bucket holds what it did before they were taken.
    const after = await Promise.all(['v3', 'v4', 'v5'].map((id) => buckets.admitOne(bucket, id)));
    expect(after.map((answer) => answer?.verdict.admitted)).toEqual([true, true, false]);
    expect(errors).toEqual([]);
  });

  it('refills at the rate', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const bucket = spec('refill', { intervalMs: 50, burst: 1 });
    expect(await buckets.admit(bucket, undefined)).toEqual({ admitted: true });
    expect(await buckets.admit(bucket, undefined)).toMatchObject({ admitted: false });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await buckets.admit(bucket, undefined)).toEqual({ admitted: true });
  });

  it('holds at most the in-flight limit of places, and gives back finished ones on the next ask', async () => {
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const finished: string[] = [];
    const bucket = spec('in-flight', {
      burst: 100,
      inFlightLimit: 2,
      takeFinished: (max) => finished.splice(0, max),
    });
    const verdicts = await Promise.all(ids.map((id) => buckets.admit(bucket, id)));
    expect(verdicts.map((verdict) => verdict?.admitted)).toEqual([true, true, false, false, false]);
    expect(verdicts[2]).toMatchObject({ admitted: false, inFlight: true });
    expect(await redis.zrange(bucket.keys[1], '0', '-1')).toEqual(expect.arrayContaining(ids.slice(0, 2)));
    // The first write finished: the next ask carries its release along and takes its place.
    finished.push(ids[0] ?? '');
    expect(await buckets.admit(bucket, 'later')).toEqual({ admitted: true });
    expect(new Set(await redis.zrange(bucket.keys[1], '0', '-1'))).toEqual(new Set([ids[1], 'later']));
    expect(errors).toEqual([]);
  });

  it('gives back finished places even when the rate refuses the ask that carries them', async () => {
    // They used to be dropped with the refusal and held until their lease ran out: a throttled
    // tenant's in-flight set filled with finished writes, and it got a third of its rate.
    const buckets = new BudgetBuckets(redis, (error) => errors.push(error));
    const finished: string[] = [];
    const bucket = spec('refused-release', {
      burst: 1,
      inFlightLimit: 5,
      takeFinished: (max) => finished.splice(0, max),
    });
    expect((await buckets.admitOne(bucket, 'first'))?.verdict).toEqual({ admitted: true });
    finished.push('first');
    expect((await buckets.admitOne(bucket, 'second'))?.verdict).toMatchObject({ admitted: false, inFlight: false });
    expect(await redis.zrange(bucket.keys[1], '0', '-1')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('lets every request through when Redis cannot be asked, and says why', async () => {
    const seen: unknown[] = [];
    const broken = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const buckets = new BudgetBuckets(broken, (error) => seen.push(error));
    const verdicts = await Promise.all([
      buckets.admit(spec('down'), undefined),
      buckets.admit(spec('down'), undefined),
    ]);
    expect(verdicts).toEqual([undefined, undefined]);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    broken.disconnect();
  });
});
