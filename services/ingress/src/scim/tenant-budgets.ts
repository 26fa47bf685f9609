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
import { BudgetBuckets, type BucketSpec, type Verdict } from './budget-buckets';
import { PlacesAhead } from './places-ahead';

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
/** Finished writes not yet released by a later admission are released this long after the first of them, in one go. */
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
  /** Armed only while finished writes wait: an idle ingress isn't woken 20 times a second. */
  private releaser: NodeJS.Timeout | undefined;
  private readonly buckets: BudgetBuckets;
  private readonly ahead = new PlacesAhead<BucketSpec>((spec, ids) => void this.buckets.giveBack(spec, ids));
  private lastWarning = 0;

  constructor(private readonly options: TenantBudgetsOptions) {
    this.buckets = new BudgetBuckets(options.redis, (error) => this.warnOnce(error));
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
  }

  start(): Promise<void> {
    return this.overrides.start().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'budget settings listener unavailable; reading them per request');
    });
  }

  stop(): Promise<void> {
    this.ahead.releaseAll();
    clearTimeout(this.releaser);
    this.releaseFinished();
    return this.overrides.stop();
  }

  /** The tenant's budget: its overrides over the defaults. */
  async budgetOf(tenantId: string): Promise<TenantBudget> {
    return { ...this.options.defaults, ...(await this.overrides.get(tenantId)) };
  }

  async admitWrite(tenantId: string, requestId: string): Promise<Admission> {
    const budget = await this.budgetOf(tenantId);
    const spec: BucketSpec = {
      keys: [this.key(tenantId, 'writes'), this.key(tenantId, 'in-flight')],
      intervalMs: 1000 / budget.writesPerSecond,
      burst: budget.writeBurst,
      inFlightLimit: budget.writesInFlight,
      leaseMs: this.options.leaseMs,
      // Finished writes still holding their places are given back by this ask; the rest wait for the timer.
      takeFinished: (max) => {
        const waiting = this.finished.get(tenantId) ?? [];
        const done = waiting.splice(0, max);
        if (waiting.length === 0) this.finished.delete(tenantId);
        return done;
      },
    };
    const budgetKey = `${spec.intervalMs} ${spec.burst} ${spec.inFlightLimit}`;
    const held = this.ahead.take(tenantId, budgetKey);
    if (held !== undefined) return this.admittedWrite(tenantId, held);
    const decided = await this.ask(spec, async (asked) => {
      const wanted = this.ahead.startAsk(tenantId, asked);
      const ahead = Array.from({ length: wanted }, (_, n) => `${requestId}+${n + 1}`);
      const answer = await this.buckets.admitOne(asked, requestId, ahead);
      // Only the ask that started taking places ahead ends it; a concurrent plain ask must not.
      if (wanted > 0) this.ahead.keep(tenantId, budgetKey, asked, answer?.ahead ?? []);
      return answer?.verdict;
    });
    if (decided === undefined) return ADMITTED_READ;
    if (!decided.admitted) return decided;
    return this.admittedWrite(tenantId, requestId);
  }

  /** An admitted write: `place` is its member of the in-flight set, given back when it is answered. */
  private admittedWrite(tenantId: string, place: string): Admission {
    this.ahead.admitted(tenantId);
    return {
      admitted: true,
      release: () => {
        this.ahead.answered(tenantId);
        this.finishedWrite(tenantId, place);
      },
    };
  }

  /** A place to give back: carried by the tenant's next ask, or by the timer. */
  private finishedWrite(tenantId: string, place: string): void {
    const list = this.finished.get(tenantId);
    if (list) list.push(place);
    else this.finished.set(tenantId, [place]);
    if (this.releaser === undefined) {
      this.releaser = setTimeout(() => this.releaseFinished(), RELEASE_MS);
      this.releaser.unref();
    }
  }

  async admitRead(tenantId: string): Promise<Admission> {
    const budget = await this.budgetOf(tenantId);
    const bucket = this.key(tenantId, 'reads');
    const spec: BucketSpec = {
      keys: [bucket, bucket],
      intervalMs: 1000 / budget.readsPerSecond,
      burst: budget.readBurst,
      inFlightLimit: 0,
      leaseMs: 0,
    };
    return (await this.ask(spec, (asked) => this.buckets.admit(asked, undefined))) ?? ADMITTED_READ;
  }

  /** Gives back the places of finished writes no later admission has carried along. */
  private releaseFinished(): void {
    this.releaser = undefined;
    for (const [tenantId, ids] of this.finished) {
      this.options.redis.zrem(this.key(tenantId, 'in-flight'), ...ids).catch(() => undefined);
    }
    this.finished.clear();
  }

  private key(tenantId: string, name: string): string {
    // The tenant id is the hash tag: a tenant's keys share a slot, tenants spread over the cluster.
    return `${this.options.prefix}:budget:{${tenantId}}:${name}`;
  }

  /** The verdict, or undefined when Redis couldn't be asked. */
  private async ask(
    spec: BucketSpec,
    decide: (spec: BucketSpec) => Promise<Verdict | undefined>,
  ): Promise<Admission | undefined> {
    // Keyed by the budget too: a raised budget must ask Redis again at once.
    const rateKey = `${spec.keys[0]} ${spec.intervalMs} ${spec.burst}`;
    const known = this.overUntil.get(rateKey);
    if (known && known.until > Date.now())
      return { admitted: false, retryAfterSeconds: known.retryAfterSeconds, reason: known.reason };
    const verdict = await decide(spec);
    if (verdict === undefined) return undefined;
    if (verdict.admitted) return { admitted: true, release: () => undefined };
    const refusal: Extract<Admission, { admitted: false }> = {
      admitted: false,
      // Okta waits the integer Retry-After (5 minutes when absent), Entra honours it too.
      retryAfterSeconds: Math.max(1, Math.ceil(verdict.waitMs / 1000)),
      reason: verdict.inFlight ? IN_FLIGHT_REASON : RATE_REASON,
    };
    if (!verdict.inFlight) {
      if (this.overUntil.size > 10_000) this.overUntil.clear();
      this.overUntil.set(rateKey, { ...refusal, until: Date.now() + verdict.waitMs });
    }
    return refusal;
  }

  private warnOnce(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.options.logger.warn({ err: error }, 'tenant budgets unavailable (Redis); letting requests through');
  }
}
