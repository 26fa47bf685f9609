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

/** The fixed shape's floors (shape-floor.ts, group-commit-floor.ts), measured beside the baseline. */
export interface Floors {
  /** One BullMQ job per request, nothing else. */
  readonly floor?: Side;
  /** Writes sharing jobs and commits, as scimflow's do, and one webhook post per event; nothing else. */
  readonly groupFloor?: Side;
}

/**
 * `rounds` runs of each side, alternating which of baseline and scimflow goes first, the floors
 * (when given) last; the median of each figure.
 */
export async function compare(
  rounds: number,
  baseline: Side,
  scimflow: Side,
  settle: () => Promise<number>,
  floors: Floors = {},
) {
  const runs: {
    baseline: Figures[];
    scimflow: (Figures & { ingressRssMb?: number; workerRssMb?: number })[];
    floor: Figures[];
    groupFloor: Figures[];
  } = { baseline: [], scimflow: [], floor: [], groupFloor: [] };
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
    if (floors.floor) runs.floor.push(await floors.floor());
    if (floors.groupFloor) runs.groupFloor.push(await floors.groupFloor());
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
  const grouped = runs.groupFloor.length > 0 ? median(runs.groupFloor) : undefined;
  return {
    baseline: base,
    scimflow: scim,
    ratio: scim.reqPerSec / Math.max(1, base.reqPerSec),
    ...(bare ? { floor: bare, floorRatio: bare.reqPerSec / Math.max(1, base.reqPerSec) } : {}),
    ...(grouped ? { groupFloor: grouped, groupFloorRatio: grouped.reqPerSec / Math.max(1, base.reqPerSec) } : {}),
    lagMs,
    rss: {
      ingressMb: Math.max(...runs.scimflow.map((f) => f.ingressRssMb ?? 0)),
      workerMb: Math.max(...runs.scimflow.map((f) => f.workerRssMb ?? 0)),
    },
  };
}
