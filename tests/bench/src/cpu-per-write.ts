// The bench's `cpu` stage: CPU ms per POST at a fixed, low rate (no batching forms), for scimflow, the
// bare baseline, and the shape floor (shape-floor.ts: the same ingress → BullMQ → worker hop with
// nothing else), so the ratio splits into what the fixed shape costs and what scimflow adds to it.
import { cpuSince, pidsNamed, type CpuGroups } from './cpu';
import { openLoop, type OpenRequest } from './load';
import { entraUser, postUser, type BenchTenant, type ScenarioContext } from './scenarios';

interface ServicesCpu {
  readonly ingress: number;
  readonly worker: number;
  readonly postgres: number;
  readonly redis: number;
  readonly total: number;
}

interface BaselineCpu {
  readonly server: number;
  readonly postgres: number;
  readonly total: number;
}

export interface CpuFigures {
  readonly ratePerSecond: number;
  /** Of the round whose ratio is the median. */
  readonly scimflow: ServicesCpu;
  readonly baseline: BaselineCpu;
  readonly floor: ServicesCpu;
  /** scimflow (ingress + worker + Postgres) ÷ baseline (server + Postgres), CPU ms per POST: the median round's. */
  readonly ratio: number;
  /** The shape floor ÷ the baseline, in that round: what the fixed shape costs before any of scimflow's code. */
  readonly floorRatio: number;
  /** scimflow ÷ the shape floor, in that round: what scimflow's own code adds. */
  readonly overFloor: number;
  /** Every round's ratio: the machine's speed drifts, so each round measures every side back to back. */
  readonly ratios: readonly number[];
}

interface Round {
  readonly scimflow: ServicesCpu;
  readonly baseline: BaselineCpu;
  readonly floor: ServicesCpu;
  readonly ratio: number;
}

/** `rounds` rounds, alternating whether scimflow goes first or last, each measuring the three sides back to back. */
export async function cpuPerWrite(ctx: ScenarioContext, rate = 100, durationS = 10, rounds = 3): Promise<CpuFigures> {
  const tenant = await ctx.createTenant('cpu', { writesPerSecond: 10_000, writeBurst: 10_000 });
  const measured: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const early = round % 2 === 0 ? await scimflowCpu(ctx, tenant, rate, durationS) : undefined;
    const baseline = await baselineCpu(ctx, rate, durationS);
    const floor = await floorCpu(ctx, rate, durationS);
    const scimflow = early ?? (await scimflowCpu(ctx, tenant, rate, durationS));
    measured.push({ scimflow, baseline, floor, ratio: scimflow.total / Math.max(0.001, baseline.total) });
  }
  const median = measured.toSorted((a, b) => a.ratio - b.ratio)[Math.floor(measured.length / 2)];
  if (!median) throw new Error('no CPU round ran');
  return {
    ratePerSecond: rate,
    ...median,
    floorRatio: median.floor.total / Math.max(0.001, median.baseline.total),
    overFloor: median.scimflow.total / Math.max(0.001, median.floor.total),
    ratios: measured.map((m) => Number(m.ratio.toFixed(2))),
  };
}

/** CPU ms per request of each group while `requests` runs (it resolves to how many it sent). */
async function cpuWhile(groups: CpuGroups, requests: () => Promise<number>): Promise<Record<string, number>> {
  const used = cpuSince(groups);
  const sent = await requests();
  return Object.fromEntries(Object.entries(used()).map(([group, ms]) => [group, ms / Math.max(1, sent)]));
}

async function servicesCpu(ingress: number | undefined, worker: number | undefined, requests: () => Promise<number>) {
  const per = await cpuWhile(
    {
      ingress: () => [ingress],
      worker: () => [worker],
      postgres: () => pidsNamed('postgres'),
      redis: () => pidsNamed('redis-server'),
    },
    requests,
  );
  const [i, w, pg, redis] = [per.ingress ?? 0, per.worker ?? 0, per.postgres ?? 0, per.redis ?? 0];
  return { ingress: i, worker: w, postgres: pg, redis, total: i + w + pg };
}

async function scimflowCpu(ctx: ScenarioContext, tenant: BenchTenant, rate: number, durationS: number) {
  await ctx.settle();
  return servicesCpu(ctx.pids.ingress, ctx.pids.worker, async () => {
    const { sent } = await openLoop(ctx.scimUrl, rate, durationS, () => postUser(tenant, 'cpu'));
    // Event delivery and the failure relay belong to the writes that caused them.
    await ctx.settle();
    return sent;
  });
}

function barePost(prefix: string): OpenRequest {
  return {
    method: 'POST',
    path: '/Users',
    headers: { 'content-type': 'application/scim+json' },
    body: JSON.stringify(entraUser(prefix)),
  };
}

async function floorCpu(ctx: ScenarioContext, rate: number, durationS: number) {
  return servicesCpu(
    ctx.pids.floorIngress,
    ctx.pids.floorWorker,
    async () => (await openLoop(ctx.floorUrl, rate, durationS, () => barePost('cpu-floor'))).sent,
  );
}

async function baselineCpu(ctx: ScenarioContext, rate: number, durationS: number): Promise<BaselineCpu> {
  const per = await cpuWhile(
    { server: () => [ctx.pids.baseline], postgres: () => pidsNamed('postgres') },
    async () => (await openLoop(ctx.baseUrl, rate, durationS, () => barePost('cpu-base'))).sent,
  );
  const [server, postgres] = [per.server ?? 0, per.postgres ?? 0];
  return { server, postgres, total: server + postgres };
}
