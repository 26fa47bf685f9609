// The many-tenant scenarios of `npm run bench`: 40 tenants at rising open-loop rates, and five small
// tenants' latency while a big one syncs (CPU per write at a fixed rate: cpu-per-write.ts).
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { cpuSince, pidsNamed } from './cpu';
import { closedLoop, openLoop, type OpenLoopFigures, type OpenRequest } from './load';

export interface BenchTenant {
  readonly id: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

export interface ScenarioContext {
  readonly scimUrl: string;
  readonly baseUrl: string;
  /** The shape floor's ingress (shape-floor.ts); it takes POST /Users as the baseline does. */
  readonly floorUrl: string;
  readonly pids: {
    readonly ingress?: number;
    readonly worker?: number;
    readonly baseline?: number;
    readonly floorIngress?: number;
    readonly floorWorker?: number;
  };
  createTenant(name: string, budget?: Record<string, number>): Promise<BenchTenant>;
  /** Waits until the after-write work (event delivery, failure relay) has caught up. */
  settle(): Promise<number>;
  /**
   * Has Postgres write its checkpoint now. Its timed checkpoint comes every 5 minutes and spreads its
   * writes over most of that; a stage that compares two phases must not have one of them inside it
   * (seen: fairness 'beside a sync' ran inside the timed checkpoint in three full runs in a row).
   */
  checkpoint(): Promise<void>;
}

let unique = 0;
export function entraUser(prefix: string) {
  const n = unique++;
  const userName = `${prefix}-${n}@contoso.com`;
  return {
    schemas: [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ],
    externalId: `${prefix}-${n}`,
    userName,
    active: true,
    displayName: `Bench User ${n}`,
    preferredLanguage: 'en-US',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: `Bench User ${n}`, familyName: 'User', givenName: `Bench${n}` },
    roles: [],
  };
}

export function postUser(tenant: BenchTenant, prefix: string): OpenRequest {
  return {
    method: 'POST',
    path: `${tenant.path}/Users`,
    headers: tenant.headers,
    body: JSON.stringify(entraUser(prefix)),
  };
}

/** An open-loop rate, with where the machine's CPU went: ms per request by process group, and the share of both cores used. */
export type RateFigures = OpenLoopFigures & {
  readonly cpuMsPerRequest: Record<string, number>;
  readonly coresBusy: number;
};

export interface MultiTenantFigures {
  readonly tenants: number;
  readonly rates: readonly RateFigures[];
  readonly maxRateP99Under50ms: number;
  /**
   * The bare baseline (baseline-server.ts: one insert per request) driven by the same open loop, the
   * same mix and rates, each rate right after scimflow's: what this machine and load generator hold
   * with nothing of the ingress → queue → worker shape or of scimflow around the insert.
   */
  readonly baseline: { readonly rates: readonly RateFigures[]; readonly maxRateP99Under50ms: number };
}

/** Which kind of write request n is: the kind follows the round over the tenants, so every tenant gets both. */
function isPost(n: number, tenants: number): boolean {
  return Math.floor(n / tenants) % 10 < 7;
}

/** 40 tenants, 70% POST / 30% PATCH adding a member to the tenant's group, open loop at rising rates. */
export async function multiTenant(
  ctx: ScenarioContext,
  rates: readonly number[],
  durationS: number,
): Promise<MultiTenantFigures> {
  const tenants = await Promise.all(Array.from({ length: 40 }, (_, n) => ctx.createTenant(`mt-${n}`)));
  const patchesNeeded = Math.ceil((rates.reduce((sum, rate) => sum + rate, 0) * durationS * 0.3) / tenants.length) + 10;
  // Each tenant: one group, and users for the PATCHes to add (each added once: a real change).
  const prepared = await Promise.all(
    tenants.map(async (tenant, n) => {
      const group = await create(ctx.scimUrl, tenant, '/Groups', { displayName: `Group ${n}` });
      const users: string[] = [];
      for (let k = 0; k < patchesNeeded; k += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, patchesNeeded - k) }, () =>
            create(ctx.scimUrl, tenant, '/Users', entraUser(`mt${n}`)),
          ),
        );
        users.push(...batch);
      }
      return { tenant, group, users };
    }),
  );
  await ctx.settle();
  await ctx.checkpoint();
  const results: RateFigures[] = [];
  const baseline: RateFigures[] = [];
  const scimflowSide = { ingress: () => [ctx.pids.ingress], worker: () => [ctx.pids.worker] };
  for (const rate of rates) {
    results.push(
      await measureRate(ctx.scimUrl, 'scimflow', rate, durationS, scimflowSide, (n) => {
        const target = prepared[n % prepared.length];
        if (!target) throw new Error('no tenant');
        if (isPost(n, prepared.length)) return postUser(target.tenant, `mt-${rate}`);
        return addMember(`${target.tenant.path}/Groups/${target.group}`, target.tenant.headers, target.users.pop());
      }),
    );
    await ctx.settle();
    // The baseline's groups are names only (no table): each PATCH inserts one (group, user) pair.
    const bare: BenchTenant = { id: '', path: '', headers: { 'content-type': 'application/scim+json' } };
    baseline.push(
      await measureRate(ctx.baseUrl, 'baseline', rate, durationS, { server: () => [ctx.pids.baseline] }, (n) =>
        isPost(n, prepared.length)
          ? postUser(bare, `mt-base-${rate}`)
          : addMember(`/Groups/${prepared[n % prepared.length]?.group ?? ''}`, bare.headers, randomUUID()),
      ),
    );
  }
  return {
    tenants: tenants.length,
    rates: results,
    maxRateP99Under50ms: highestPassingRate(results),
    baseline: { rates: baseline, maxRateP99Under50ms: highestPassingRate(baseline) },
  };
}

function addMember(path: string, headers: Record<string, string>, userId: string | undefined): OpenRequest {
  return {
    method: 'PATCH',
    path,
    headers,
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: userId ?? '' }] }],
    }),
  };
}

/** One open-loop rate against one server, with the CPU each process group spent on it. */
async function measureRate(
  url: string,
  name: 'scimflow' | 'baseline',
  rate: number,
  durationS: number,
  own: Record<string, () => (number | undefined)[]>,
  next: (n: number) => OpenRequest,
): Promise<RateFigures> {
  const cpu = cpuSince({
    ...own,
    postgres: () => pidsNamed('postgres'),
    redis: () => pidsNamed('redis-server'),
    loadGenerator: () => [process.pid],
  });
  const started = performance.now();
  const figures = await openLoop(url, rate, durationS, next, name);
  const used = cpu();
  const elapsedMs = performance.now() - started;
  return {
    ...figures,
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(used).map(([group, ms]) => [group, Number((ms / figures.sent).toFixed(3))]),
    ),
    coresBusy: Number((Object.values(used).reduce((sum, ms) => sum + ms, 0) / elapsedMs).toFixed(2)),
  };
}

/**
 * The highest rate that held p99 <= 50 ms without errors, with every lower rate holding too: one
 * lucky rate above a failing one is not a rate the service holds (BENCH_RATES may come in any order).
 */
function highestPassingRate(results: readonly RateFigures[]): number {
  const rising = results.toSorted((a, b) => a.rate - b.rate);
  const failing = rising.findIndex((r) => r.p99 > 50 || r.errors > 0);
  return (failing === -1 ? rising : rising.slice(0, failing)).at(-1)?.rate ?? 0;
}

async function create(url: string, tenant: BenchTenant, path: string, body: unknown): Promise<string> {
  const response = await fetch(`${url}${tenant.path}${path}`, {
    method: 'POST',
    headers: tenant.headers,
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

export interface FairnessFigures {
  readonly alone: OpenLoopFigures;
  readonly during: OpenLoopFigures;
  readonly p99Ratio: number;
  readonly big: {
    readonly requests: number;
    readonly created: number;
    readonly throttled: number;
    readonly other: number;
  };
}

/** Five small tenants at 10 writes/s each, alone and while a big tenant syncs 20,000 users at 64 connections. */
export async function fairness(ctx: ScenarioContext, durationS: number): Promise<FairnessFigures> {
  const small = await Promise.all(Array.from({ length: 5 }, (_, n) => ctx.createTenant(`small-${n}`)));
  const big = await ctx.createTenant('big');
  const smallLoad = () =>
    openLoop(ctx.scimUrl, 50, durationS, (n) => postUser(small[n % small.length] ?? big, 'small'));
  await ctx.settle();
  await ctx.checkpoint();
  const alone = await smallLoad();
  await ctx.settle();
  const sync = closedLoop(
    ctx.scimUrl,
    big.headers,
    [
      {
        method: 'POST',
        path: `${big.path}/Users`,
        setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(entraUser('big')) }),
      },
    ],
    [],
    // A 20,000-user sync at the default budget takes minutes (50/s: 400 s); it runs for the
    // measurement window, 64 connections that retry at once whatever Retry-After says.
    { connections: 64, durationS: durationS + 1 },
  );
  // Let the sync get going, then measure the small tenants while it runs.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const during = await smallLoad();
  const bigRun = await sync;
  await ctx.settle();
  const created = bigRun.statuses['201'] ?? 0;
  const throttled = bigRun.statuses['429'] ?? 0;
  const requests = Object.values(bigRun.statuses).reduce((sum, n) => sum + n, 0);
  return {
    alone,
    during,
    p99Ratio: during.p99 / Math.max(1, alone.p99),
    big: { requests, created, throttled, other: requests - created - throttled },
  };
}
