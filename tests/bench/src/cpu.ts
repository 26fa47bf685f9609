// CPU time of processes, read from /proc (utime + stime, in clock ticks of 10 ms).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/** CPU milliseconds a process has used so far; 0 when it is gone. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

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
 * functions because Postgres starts new backends while a run goes on; a process that appeared
 * during the run counts from 0, one that ended keeps what it had at the last look.
 */
export function cpuSince(groups: CpuGroups): () => Record<string, number> {
  const start = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) if (pid !== undefined) start.set(pid, cpuMs(pid));
  return () =>
    Object.fromEntries(
      Object.entries(groups).map(([group, pids]) => [
        group,
        pids().reduce<number>((sum, pid) => (pid === undefined ? sum : sum + cpuMs(pid) - (start.get(pid) ?? 0)), 0),
      ]),
    );
}
