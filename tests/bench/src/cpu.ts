// CPU time of processes, read from /proc (utime + stime, in clock ticks of 10 ms).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/** CPU milliseconds a process has used so far; undefined when it is gone. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * How often the processes are looked at meanwhile, so one that ends keeps what it had used. A
 * backend a pool closes has been idle for seconds, so a slow look loses nothing, and each look
 * scans /proc from the load generator's own process.
 */
const LOOK_EVERY_MS = 2_000;

/** Every process whose command name is `name` (all of Postgres's backends, say). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface CpuGroups {
  readonly [group: string]: () => (number | undefined)[];
}

/**
 * Starts counting: returns a function that gives each group's CPU ms since the start. Groups are
 * functions because Postgres starts and ends backends while a run goes on (a pool closes idle
 * connections): a process that appeared during the run counts from 0, one that ended keeps what it
 * had at the last look (read as 0 at the end, it once made a floor's Postgres CPU negative).
 */
export function cpuSince(groups: CpuGroups): () => Record<string, number> {
  const start = new Map<number, number>();
  const last = new Map<number, { group: string; ms: number }>();
  const look = (first: boolean) => {
    for (const [group, pids] of Object.entries(groups))
      for (const pid of pids()) {
        const ms = pid === undefined ? undefined : cpuMsOf(pid);
        if (pid === undefined || ms === undefined) continue;
        if (!start.has(pid)) start.set(pid, first ? ms : 0);
        last.set(pid, { group, ms });
      }
  };
  look(true);
  const timer = setInterval(() => look(false), LOOK_EVERY_MS);
  // A run that throws never asks for its figures; the bench must still be able to exit.
  timer.unref();
  return () => {
    clearInterval(timer);
    look(false);
    const used: Record<string, number> = Object.fromEntries(Object.keys(groups).map((group) => [group, 0]));
    for (const [pid, { group, ms }] of last) used[group] = (used[group] ?? 0) + ms - (start.get(pid) ?? 0);
    return used;
  };
}
