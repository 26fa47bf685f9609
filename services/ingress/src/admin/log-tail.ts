import { searchLog, type Db, type LogOutcome, type LogRow } from '@scimflow/db';

/** One log entry as one terminal line: time, outcome, status, what, and why. */
export function formatLogLine(row: LogRow): string {
  const what = [row.operation, row.resource_type, row.resource_name ?? row.resource_id].filter(Boolean).join(' ');
  const why = row.outcome === 'failure' ? ` (${[row.scim_type, row.detail].filter(Boolean).join(': ')})` : '';
  const extra = [
    row.duration_ms === null ? undefined : `${row.duration_ms}ms`,
    row.request_id ? `request=${row.request_id}` : undefined,
    row.trace_id && row.trace_id !== row.request_id ? `trace=${row.trace_id}` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return `${row.at.toISOString()} ${row.outcome.padEnd(7)} ${row.http_status} ${what}${why}${extra ? ` ${extra}` : ''}`;
}

export interface TailOptions {
  readonly status?: LogOutcome;
  readonly lines: number;
  readonly follow: boolean;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/** Entries committed later than a newer one can carry an older id (another process's clock): followed with an overlap. */
const OVERLAP_MS = 10_000;

/** Prints the last `lines` entries, oldest first; with `follow`, keeps printing new ones until aborted. */
export async function tailLog(
  db: Db,
  tenantId: string,
  options: TailOptions,
  print: (line: string) => void,
  following?: () => void,
): Promise<void> {
  const filter = options.status ? { outcome: options.status } : {};
  let since = new Date(Date.now() - OVERLAP_MS);
  // What is already there counts as seen; only the last `lines` of it are printed.
  const recent = options.follow ? await searchLog(db, tenantId, { ...filter, since, limit: 10_000 }) : [];
  const seen = new Map<string, number>(recent.map((row) => [row.id, row.at.getTime()]));
  const latest = options.lines > 0 ? await searchLog(db, tenantId, { ...filter, limit: options.lines }) : [];
  for (const row of latest.toReversed()) print(formatLogLine(row));
  if (options.follow) following?.();
  while (options.follow && !options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
    const rows = await searchLog(db, tenantId, { ...filter, since, oldestFirst: true, limit: 1000 });
    for (const row of rows) {
      if (seen.has(row.id)) continue;
      seen.set(row.id, row.at.getTime());
      print(formatLogLine(row));
    }
    const newest = Math.max(since.getTime() + OVERLAP_MS, ...rows.map((row) => row.at.getTime()));
    since = new Date(newest - OVERLAP_MS);
    for (const [id, at] of seen) if (at < since.getTime()) seen.delete(id);
  }
}
