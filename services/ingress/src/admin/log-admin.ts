import { z } from 'zod';
import { listDigests, searchLog, type Db, type LogRow } from '@scimflow/db';
import { ScimError } from '@scimflow/scim';
import { limitParam, parseOrBadRequest, requireTenant } from './admin-validation';

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const logQuery = z
  .object({
    status: z.enum(['success', 'failure']).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    resourceType: z.enum(['User', 'Group']).optional(),
    resourceId: z.uuid().optional(),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a cursor this endpoint issued')
      .optional(),
    limit: limitParam,
  })
  .strict();

function logItem(row: LogRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    operation: row.operation,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    resourceName: row.resource_name,
    externalId: row.external_id,
    outcome: row.outcome,
    httpStatus: row.http_status,
    scimType: row.scim_type,
    detail: row.detail,
    durationMs: row.duration_ms,
    requestId: row.request_id,
    traceId: row.trace_id,
    commandId: row.command_id,
  };
}
export type LogItem = ReturnType<typeof logItem>;

/** Newest first; `nextCursor` continues after the last item (the cursor is the last id, opaque to clients). */
export async function queryLog(
  db: Db,
  tenantId: string,
  query: unknown,
): Promise<{ items: LogItem[]; nextCursor: string | null }> {
  const q = parseOrBadRequest(logQuery, query);
  await requireTenant(db, tenantId);
  const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await searchLog(db, tenantId, {
    ...(q.status ? { outcome: q.status } : {}),
    ...(q.since ? { since: q.since } : {}),
    ...(q.until ? { until: q.until } : {}),
    ...(q.resourceType ? { resourceType: q.resourceType } : {}),
    ...(q.resourceId ? { resourceId: q.resourceId } : {}),
    ...(before ? { before } : {}),
    limit: q.limit + 1,
  });
  const items = rows.slice(0, q.limit).map(logItem);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > q.limit && last ? Buffer.from(last.id.replaceAll('-', ''), 'hex').toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): string {
  const hex = Buffer.from(cursor, 'base64url').toString('hex');
  if (hex.length !== 32) throw ScimError.badRequest('invalidValue', 'cursor: is not a cursor this endpoint issued');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function describeDigests(db: Db, tenantId: string) {
  await requireTenant(db, tenantId);
  const rows = await listDigests(db, tenantId, 100);
  return {
    items: rows.map((row) => ({
      id: row.id,
      status: row.status,
      windowStart: row.window_start.toISOString(),
      windowEnd: row.due_at.toISOString(),
      failures: row.failure_count,
      recipients: row.recipients,
      attempts: row.attempts,
      lastError: row.last_error,
      sentAt: row.sent_at?.toISOString() ?? null,
    })),
  };
}
