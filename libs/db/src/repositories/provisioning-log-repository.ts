import { sql, type Selectable } from 'kysely';
import type { LogOutcome, ProvisioningLogTable, Executor } from '../database';
import type { FailureRecord } from '@scimflow/jobs';
import { DEFAULT_LOG_RETENTION_DAYS } from '../tenant-settings';
import { insertFailures } from './outbox-repository';

/** One provisioning-log line as written: names and outcome, never a body or a secret. */
export interface LogEntry {
  readonly tenantId: string;
  /** uuidv7: ordering by id is ordering by time. */
  readonly id: string;
  readonly operation: string;
  readonly resourceType: string;
  readonly resourceId?: string;
  readonly resourceName?: string;
  readonly externalId?: string;
  readonly outcome: LogOutcome;
  readonly httpStatus: number;
  readonly scimType?: string;
  readonly detail?: string;
  readonly durationMs?: number;
  readonly traceId?: string;
  readonly commandId?: string;
  /** The HTTP request's id (X-Request-Id): the trace id when tracing is on. */
  readonly requestId?: string;
}

export type LogRow = Selectable<ProvisioningLogTable>;

/**
 * Client-chosen text as the log (and jsonb) can hold it: capped, so a name is no reason to grow the
 * log without bound, and without NULs or lone surrogates, which Postgres refuses.
 */
const MAX_TEXT = 512;
export function logText(value: string): string {
  const capped = value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
  return capped.toWellFormed().replaceAll('\u0000', '\uFFFD');
}
const capped = (value: string | undefined) => (value === undefined ? null : logText(value));

export function logValues(entries: readonly LogEntry[]) {
  return entries.map((e) => ({
    tenant_id: e.tenantId,
    id: e.id,
    operation: e.operation,
    resource_type: e.resourceType,
    resource_id: e.resourceId ?? null,
    resource_name: capped(e.resourceName),
    external_id: capped(e.externalId),
    outcome: e.outcome,
    http_status: e.httpStatus,
    scim_type: e.scimType ?? null,
    detail: capped(e.detail),
    duration_ms: e.durationMs === undefined ? null : Math.max(0, Math.round(e.durationMs)),
    trace_id: e.traceId ?? null,
    command_id: e.commandId ?? null,
    request_id: e.requestId ?? null,
  }));
}

export function failureRecordOf(entry: LogEntry, at: Date): FailureRecord {
  return {
    id: entry.id,
    tenantId: entry.tenantId,
    at: at.toISOString(),
    operation: entry.operation,
    resourceType: entry.resourceType,
    ...(entry.resourceId ? { resourceId: entry.resourceId } : {}),
    ...(entry.resourceName ? { resourceName: logText(entry.resourceName) } : {}),
    status: entry.httpStatus,
    ...(entry.scimType ? { scimType: entry.scimType } : {}),
    ...(entry.detail ? { detail: logText(entry.detail) } : {}),
  };
}

/**
 * Writes log lines and, for each failure, a failure record in the outbox for the notifier: in the
 * caller's transaction, so they commit with it or not at all.
 */
export async function recordLogEntries(db: Executor, entries: readonly LogEntry[], at = new Date()): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto('provisioning_log').values(logValues(entries)).execute();
  await insertFailures(
    db,
    entries
      .filter((entry) => entry.outcome === 'failure')
      .map((entry) => ({ id: entry.id, tenantId: entry.tenantId, payload: failureRecordOf(entry, at) })),
  );
}

export interface LogQuery {
  readonly outcome?: LogOutcome;
  readonly since?: Date;
  readonly until?: Date;
  readonly resourceType?: string;
  readonly resourceId?: string;
  /** Newest first: only entries older than this id (the previous page's last). */
  readonly before?: string;
  /** Oldest first instead (tailing). */
  readonly oldestFirst?: boolean;
  readonly limit: number;
}

/** Newest first (or oldest first), by id: uuidv7 ids order by time. */
export async function searchLog(db: Executor, tenantId: string, query: LogQuery): Promise<LogRow[]> {
  let select = db.selectFrom('provisioning_log').selectAll().where('tenant_id', '=', tenantId);
  // A literal: only then can the generic plan use provisioning_log_failures_idx (see pendingFailures).
  if (query.outcome) select = select.where('outcome', '=', sql.lit(query.outcome));
  if (query.since) select = select.where('at', '>=', query.since);
  if (query.until) select = select.where('at', '<', query.until);
  if (query.resourceType) select = select.where('resource_type', '=', query.resourceType);
  if (query.resourceId) select = select.where('resource_id', '=', query.resourceId);
  if (query.before) select = select.where('id', '<', query.before);
  return select
    .orderBy('id', query.oldestFirst ? 'asc' : 'desc')
    .limit(query.limit)
    .execute();
}

/** Deletes entries older than each tenant's logRetentionDays (default 30), a bounded batch at a time. */
export async function pruneProvisioningLog(db: Executor, now: Date, batch = 10_000): Promise<number> {
  let removed = 0;
  for (;;) {
    const result = await sql`
      delete from provisioning_log where ctid = any(array(
        select l.ctid from provisioning_log l join tenants t on t.id = l.tenant_id
        where l.at < ${now}::timestamptz - make_interval(days => coalesce((t.settings->>'logRetentionDays')::int, ${DEFAULT_LOG_RETENTION_DAYS}))
        limit ${batch}))`.execute(db);
    const count = Number(result.numAffectedRows ?? 0);
    removed += count;
    if (count < batch) return removed;
  }
}
