import { createHash } from 'node:crypto';
import {
  budgetOverrides,
  findTenantSettings,
  NotifiedCache,
  TENANT_SETTINGS_CHANNEL,
  type Db,
  type TenantBudget,
} from '@scimflow/db';
import type { RedisClient } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';

/**
 * One round trip decides a request: a GCRA token bucket (the "theoretical arrival time" of the
 * next request, in ms of Redis's own clock, so every ingress agrees) and, for writes, a set of
 * requests in progress whose members expire on their own if an ingress dies holding them.
 * KEYS: bucket, in-flight set (or the bucket again for reads). ARGV: interval ms, burst,
 * in-flight limit (0: none), request id, in-flight lease ms, then ids of this tenant's writes
 * that have finished since (released here, saving a round trip each). Returns {admitted, retry-after ms, 1: over the rate | 2: too many in flight}.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - interval * burst
if allowed_at > now then return {0, math.ceil(allowed_at - now), 1} end
local limit = tonumber(ARGV[3])
if #ARGV > 5 then redis.call('ZREM', KEYS[2], unpack(ARGV, 6)) end
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= limit then return {0, 1000, 2} end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now + interval * burst) + 1000)
return {1, 0}`;
const ADMIT_SHA = createHash('sha1').update(ADMIT).digest('hex');

export type Admission =
  | { readonly admitted: true; release(): void }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly reason: string };

export interface TenantBudgetsOptions {
  readonly redis: RedisClient;
  /** Key prefix (the queue prefix without braces: tenants' keys spread over a cluster's slots). */
  readonly prefix: string;
  readonly defaults: TenantBudget;
  /** How long a write may hold its in-flight place if its ingress never releases it. */
  readonly leaseMs: number;
  readonly db: Db;
  readonly databaseUrl: string;
  readonly logger: Logger;
}

const ADMITTED_READ: Admission = { admitted: true, release: () => undefined };
const RATE_REASON = 'it is over its request rate';
const IN_FLIGHT_REASON = 'too many of its writes are in progress';
/** Finished writes not yet released by a later admission are released this often, in one go. */
const RELEASE_MS = 50;

/**
 * Each tenant's fair share, shared by every ingress through Redis: a write budget (rate, burst,
 * writes in progress) and a read budget (rate, burst). Overrides come from the tenant's settings,
 * cached and evicted by the NOTIFY a settings change commits. While Redis can't be asked, requests
 * are let through: reads keep working, and writes get their 503 from the queue.
 */
export class TenantBudgets {
  private readonly overrides: NotifiedCache<Partial<TenantBudget>>;
  /**
   * Until when a tenant's writes (or reads) are known to be over the rate, by bucket key: Redis
   * said when the next one would be allowed, and other ingresses can only push that later, so
   * refusing locally until then is exact and spares a throttled tenant's storm a round trip each.
   */
  private readonly overUntil = new Map<string, { until: number; retryAfterSeconds: number; reason: string }>();
  /** Finished writes whose in-flight places are still to be given back, by tenant. */
  private readonly finished = new Map<string, string[]>();
  private readonly releaser: NodeJS.Timeout;
  private lastWarning = 0;

  constructor(private readonly options: TenantBudgetsOptions) {
    this.overrides = new NotifiedCache({
      databaseUrl: options.databaseUrl,
      channel: TENANT_SETTINGS_CHANNEL,
      applicationName: 'scimflow-ingress-budgets',
      ttlMs: 60_000,
      load: async (tenantIds) => {
        const settings = await findTenantSettings(options.db, tenantIds);
        return new Map([...settings].map(([id, value]) => [id, budgetOverrides(value)]));
      },
    });
    this.releaser = setInterval(() => this.releaseFinished(), RELEASE_MS);
    this.releaser.unref();
  }

  start(): Promise<void> {
    return this.overrides.start().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'budget settings listener unavailable; reading them per request');
    });
  }

  stop(): Promise<void> {
    clearInterval(this.releaser);
    this.releaseFinished();
    return this.overrides.stop();
  }

  /** The tenant's budget: its overrides over the defaults. */
  async budgetOf(tenantId: string): Promise<TenantBudget> {
    return { ...this.options.defaults, ...(await this.overrides.get(tenantId)) };
  }

  async admitWrite(tenantId: string, requestId: string): Promise<Admission> {
    const budget = await this.budgetOf(tenantId);
    const [bucket, inFlight] = [this.key(tenantId, 'writes'), this.key(tenantId, 'in-flight')];
    // At most a few hundred carried along (a script's arguments go on Lua's stack); the rest wait for the timer.
    const waiting = this.finished.get(tenantId) ?? [];
    const done = waiting.splice(0, 256);
    if (waiting.length === 0) this.finished.delete(tenantId);
    const decided = await this.ask(
      [bucket, inFlight],
      [
        1000 / budget.writesPerSecond,
        budget.writeBurst,
        budget.writesInFlight,
        requestId,
        this.options.leaseMs,
        ...done,
      ],
    );
    if (decided === undefined) return ADMITTED_READ;
    if (!decided.admitted) return decided;
    return {
      admitted: true,
      release: () => {
        const list = this.finished.get(tenantId);
        if (list) list.push(requestId);
        else this.finished.set(tenantId, [requestId]);
      },
    };
  }

  async admitRead(tenantId: string): Promise<Admission> {
    const budget = await this.budgetOf(tenantId);
    const bucket = this.key(tenantId, 'reads');
    return (
      (await this.ask([bucket, bucket], [1000 / budget.readsPerSecond, budget.readBurst, 0, '', 0])) ?? ADMITTED_READ
    );
  }

  /** Gives back the places of finished writes no later admission has carried along. */
  private releaseFinished(): void {
    for (const [tenantId, ids] of this.finished) {
      this.options.redis.zrem(this.key(tenantId, 'in-flight'), ...ids).catch(() => undefined);
    }
    this.finished.clear();
  }

  private key(tenantId: string, name: string): string {
    // The tenant id is the hash tag: a tenant's keys share a slot, tenants spread over the cluster.
    return `${this.options.prefix}:budget:{${tenantId}}:${name}`;
  }

  /** The script's verdict, or undefined when Redis couldn't be asked. */
  private async ask(keys: [string, string], args: (string | number)[]): Promise<Admission | undefined> {
    // Keyed by the budget too: a raised budget must ask Redis again at once.
    const known = this.overUntil.get(`${keys[0]} ${args[0]} ${args[1]}`);
    if (known && known.until > Date.now())
      return { admitted: false, retryAfterSeconds: known.retryAfterSeconds, reason: known.reason };
    const decided = await this.askRedis(keys, args);
    if (decided && !decided.admitted && decided.reason === RATE_REASON) {
      if (this.overUntil.size > 10_000) this.overUntil.clear();
      this.overUntil.set(`${keys[0]} ${args[0]} ${args[1]}`, { ...decided, until: Date.now() + decided.waitMs });
    }
    return decided;
  }

  private async askRedis(
    keys: [string, string],
    args: (string | number)[],
  ): Promise<(Admission & { waitMs: number }) | undefined> {
    const { redis } = this.options;
    let result: unknown;
    try {
      result = await redis.evalsha(ADMIT_SHA, 2, ...keys, ...args).catch(async (error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return redis.eval(ADMIT, 2, ...keys, ...args);
      });
    } catch (error) {
      this.warnOnce(error);
      return undefined;
    }
    if (!Array.isArray(result)) return undefined;
    const [admitted, retryMs, why] = result;
    if (admitted === 1) return { admitted: true, release: () => undefined, waitMs: 0 };
    const waitMs = typeof retryMs === 'number' ? retryMs : 1000;
    return {
      admitted: false,
      waitMs,
      // Okta waits the integer Retry-After (5 minutes when absent), Entra honours it too.
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      reason: why === 2 ? IN_FLIGHT_REASON : RATE_REASON,
    };
  }

  private warnOnce(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.options.logger.warn({ err: error }, 'tenant budgets unavailable (Redis); letting requests through');
  }
}
