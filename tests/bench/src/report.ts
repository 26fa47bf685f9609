// What `npm run bench` prints, figure by figure, before its BENCH_JSON line.
import type { Figures } from './load';
import type { CpuFigures } from './cpu-per-write';
import type { FairnessFigures, MultiTenantFigures } from './scenarios';

export function report(
  name: string,
  run: {
    baseline: Figures;
    scimflow: Figures;
    ratio: number;
    floor?: Figures;
    floorRatio?: number;
    groupFloor?: Figures;
    groupFloorRatio?: number;
  },
): void {
  const row = (who: string, f: Figures) =>
    `  ${who.padEnd(9)} ${f.reqPerSec.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   RSS ${f.rssMb.toFixed(0).padStart(4)} MB   errors ${f.errors}`;
  console.log(`\n${name}`);
  console.log(row('baseline', run.baseline));
  console.log(row('scimflow', run.scimflow));
  if (run.floor) console.log(row('floor', run.floor));
  if (run.groupFloor) console.log(row('grp floor', run.groupFloor));
  const cpu = (f: Figures) =>
    Object.entries(f.cpuMsPerRequest ?? {})
      .map(([group, ms]) => `${group} ${ms.toFixed(2)}`)
      .join(', ');
  console.log(`  CPU ms per request: baseline ${cpu(run.baseline)}`);
  console.log(`                      scimflow ${cpu(run.scimflow)}`);
  if (run.floor) console.log(`                      floor    ${cpu(run.floor)}`);
  if (run.groupFloor) console.log(`                      grp floor ${cpu(run.groupFloor)}`);
  if (run.scimflow.commandsPerJob !== undefined)
    console.log(`  commands per queue job (scimflow, median run): ${run.scimflow.commandsPerJob}`);
  console.log(
    `  ratio scimflow/baseline: throughput ${run.ratio.toFixed(2)} (target >= 1.0), p99 ${(run.scimflow.p99 / Math.max(1, run.baseline.p99)).toFixed(2)}`,
  );
  if (run.floor && run.floorRatio !== undefined)
    console.log(
      `  shape floor (one BullMQ job per request, nothing else): throughput ${run.floorRatio.toFixed(2)} of the baseline; scimflow ${(run.scimflow.reqPerSec / Math.max(1, run.floor.reqPerSec)).toFixed(2)}x the floor`,
    );
  if (run.groupFloor && run.groupFloorRatio !== undefined)
    console.log(
      `  group-commit floor (the same hop with shared jobs and commits, a webhook post per event, nothing else): throughput ${run.groupFloorRatio.toFixed(2)} of the baseline; scimflow ${(run.scimflow.reqPerSec / Math.max(1, run.groupFloor.reqPerSec)).toFixed(2)}x it`,
    );
}

/** Prints the figures given (BENCH_ONLY runs leave some out). */
export function reportScenarios(
  cpu: CpuFigures | undefined,
  multi: MultiTenantFigures | undefined,
  fair: FairnessFigures | undefined,
  rss: { ingressMb: number; workerMb: number } | undefined,
): void {
  if (cpu) reportCpu(cpu);
  if (multi) reportMultiTenant(multi);
  if (fair) reportFairness(fair);
  if (rss)
    console.log(
      `\nPeak RSS under the POST load: ingress ${rss.ingressMb.toFixed(0)} MB (target <= 150), worker ${rss.workerMb.toFixed(0)} MB (target <= 200)`,
    );
}

function reportCpu(cpu: CpuFigures): void {
  const ms = (n: number) => n.toFixed(2);
  console.log(`\nCPU per POST at ${cpu.ratePerSecond}/s (ms)`);
  console.log(
    `  scimflow  ${ms(cpu.scimflow.total)} = ingress ${ms(cpu.scimflow.ingress)} + worker ${ms(cpu.scimflow.worker)} + Postgres ${ms(cpu.scimflow.postgres)}   (Redis ${ms(cpu.scimflow.redis)}, not counted)`,
  );
  console.log(
    `  baseline  ${ms(cpu.baseline.total)} = server ${ms(cpu.baseline.server)} + Postgres ${ms(cpu.baseline.postgres)}`,
  );
  console.log(
    `  floor     ${ms(cpu.floor.total)} = ingress ${ms(cpu.floor.ingress)} + worker ${ms(cpu.floor.worker)} + Postgres ${ms(cpu.floor.postgres)}   (Redis ${ms(cpu.floor.redis)}, not counted)`,
  );
  console.log(`  ratio ${cpu.ratio.toFixed(2)} (target <= 3), the median of rounds ${cpu.ratios.join(' / ')}`);
  console.log(
    `  in that round: the shape floor ${cpu.floorRatio.toFixed(2)}x the baseline, scimflow ${cpu.overFloor.toFixed(2)}x the floor`,
  );
}

function reportMultiTenant(multi: MultiTenantFigures): void {
  console.log(
    `\n${multi.tenants} tenants, 70% POST / 30% PATCH group add, open loop (each rate: scimflow, then the baseline)`,
  );
  const line = (who: string, r: MultiTenantFigures['rates'][number]) =>
    console.log(
      `  ${who} ${String(r.rate).padStart(5)}/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(5)} ms   errors ${r.errors} ${JSON.stringify(r.statuses)}\n` +
        `           cores busy ${r.coresBusy} of 2; CPU ms per request ${JSON.stringify(r.cpuMsPerRequest)}`,
    );
  for (const [index, r] of multi.rates.entries()) {
    line('scimflow', r);
    const bare = multi.baseline.rates[index];
    if (bare) line('baseline', bare);
  }
  console.log(
    `  highest rate held (it and every lower rate: p99 <= 50 ms, no errors): ${multi.maxRateP99Under50ms}/s (target 1000); the baseline: ${multi.baseline.maxRateP99Under50ms}/s`,
  );
}

function reportFairness(fair: FairnessFigures): void {
  console.log('\nFairness: five small tenants at 10 writes/s each');
  console.log(`  alone          p50 ${fair.alone.p50} ms   p99 ${fair.alone.p99} ms   errors ${fair.alone.errors}`);
  console.log(`  beside a sync  p50 ${fair.during.p50} ms   p99 ${fair.during.p99} ms   errors ${fair.during.errors}`);
  console.log(
    `  p99 ratio ${fair.p99Ratio.toFixed(2)} (target <= 1.5); the big tenant (64 connections, for the window): ${fair.big.created} created, ${fair.big.throttled} answered 429, ${fair.big.other} other, of ${fair.big.requests}`,
  );
}
