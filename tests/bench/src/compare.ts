// How `npm run bench` compares servers under one closed-loop load: rounds alternating the sides,
// medians of each figure, and CPU ms per request by process group.
import type { Figures } from './load';

export type Side = () => Promise<Figures & { ingressRssMb?: number; workerRssMb?: number }>;

/** CPU ms per request of each process group over a run: where the machine's two cores went. */
export function perRequest(used: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(used).map(([group, ms]) => [group, Number((ms / Math.max(1, requests)).toFixed(3))]),
  );
}

/**
 * `rounds` runs of each side, alternating which of baseline and scimflow goes first, the shape floor
 * (when given) last; the median of each figure.
 */
export async function compare(
  rounds: number,
  baseline: Side,
  scimflow: Side,
  settle: () => Promise<number>,
  floor?: Side,
) {
  const runs: {
    baseline: Figures[];
    scimflow: (Figures & { ingressRssMb?: number; workerRssMb?: number })[];
    floor: Figures[];
  } = { baseline: [], scimflow: [], floor: [] };
  const lagMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['baseline', 'scimflow'] as const) : (['scimflow', 'baseline'] as const);
    for (const side of order) {
      await settle();
      if (side === 'baseline') runs.baseline.push(await baseline());
      else {
        runs.scimflow.push(await scimflow());
        lagMs.push(await settle());
      }
    }
    if (floor) runs.floor.push(await floor());
  }
  const mid = (list: Figures[], pick: (f: Figures) => number) =>
    list.map(pick).toSorted((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  const median = (list: Figures[]): Figures => {
    // CPU per request and batching: of the median-throughput run.
    const middle = list.toSorted((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor(list.length / 2)];
    return {
      reqPerSec: mid(list, (f) => f.reqPerSec),
      p50: mid(list, (f) => f.p50),
      p99: mid(list, (f) => f.p99),
      rssMb: Math.max(...list.map((f) => f.rssMb)),
      errors: list.reduce((sum, f) => sum + f.errors, 0),
      ...(middle?.cpuMsPerRequest ? { cpuMsPerRequest: middle.cpuMsPerRequest } : {}),
      ...(middle?.commandsPerJob !== undefined ? { commandsPerJob: middle.commandsPerJob } : {}),
    };
  };
  const base = median(runs.baseline);
  const scim = median(runs.scimflow);
  const bare = runs.floor.length > 0 ? median(runs.floor) : undefined;
  return {
    baseline: base,
    scimflow: scim,
    ratio: scim.reqPerSec / Math.max(1, base.reqPerSec),
    ...(bare ? { floor: bare, floorRatio: bare.reqPerSec / Math.max(1, base.reqPerSec) } : {}),
    lagMs,
    rss: {
      ingressMb: Math.max(...runs.scimflow.map((f) => f.ingressRssMb ?? 0)),
      workerMb: Math.max(...runs.scimflow.map((f) => f.workerRssMb ?? 0)),
    },
  };
}
