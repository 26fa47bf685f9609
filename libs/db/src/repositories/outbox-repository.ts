import { sql } from 'kysely';
import type { FailureRecord, RecordedEvent } from '@scimflow/jobs';
import type { Executor, OutboxPayload } from '../database';
import { DEFAULT_LOG_RETENTION_DAYS } from '../tenant-settings';

/** A failure record written to the outbox, for the relay to hand to the notifier. */
export interface OutboxFailure {
  readonly id: string;
  readonly tenantId: string;
  readonly payload: FailureRecord;
}

/** Events carry a token id (`jti`); failure records don't. */
export function isEventPayload(payload: OutboxPayload): payload is RecordedEvent {
  return 'jti' in payload;
}

/** Failure records in the caller's transaction (the ingress's own refusals): committed with it or not at all. */
export async function insertFailures(trx: Executor, failures: readonly OutboxFailure[]): Promise<void> {
  if (failures.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      failures.map((f) => ({ id: f.id, tenant_id: f.tenantId, kind: 'failure', payload: JSON.stringify(f.payload) })),
    )
    .execute();
}

/** The oldest failure records not yet handed to the notifier. */
export async function pendingFailures(db: Executor, limit: number): Promise<OutboxFailure[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'tenant_id', 'payload'])
    // A literal, not a parameter: under the generic plan (plan_cache_mode=force_generic_plan) only
    // a literal proves the partial index's `kind = 'failure'`; with a parameter this poll, every
    // second, was a parallel seq scan of the whole outbox (18 ms at 100,000 events).
    .where('kind', '=', sql.lit('failure'))
    .where('relayed_at', 'is', null)
    .orderBy('position')
    .limit(limit)
    .execute();
  return rows.flatMap(({ id, tenant_id, payload }) =>
    isEventPayload(payload) ? [] : [{ id, tenantId: tenant_id, payload }],
  );
}

export async function markRelayed(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`update outbox set relayed_at = now() where id = any(${ids}::uuid[])`.execute(db);
}

export interface StoredEvent {
  readonly sequence: number;
  readonly payload: RecordedEvent;
}

/** The durable event log: a tenant's events after `after`, in sequence order. */
export async function eventsAfter(
  db: Executor,
  tenantId: string,
  after: number,
  limit: number,
): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['sequence', 'payload'])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'event')
    .where(sql<boolean>`sequence > ${after}`)
    .orderBy('sequence')
    .limit(limit)
    .execute();
  return rows.flatMap(({ sequence, payload }) =>
    isEventPayload(payload) ? [{ sequence: Number(sequence), payload }] : [],
  );
}

/** The tenant's newest event sequence (0 before its first event). */
export async function lastEventSequence(db: Executor, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('tenant_event_counters')
    .select('last_sequence')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.last_sequence) : 0;
}

/** Events past the tenant's retention, and failure records a day after they were handed to the notifier. */
export async function pruneOutbox(db: Executor, now: Date): Promise<number> {
  const result = await sql`
    delete from outbox o using tenants t
    where t.id = o.tenant_id and (
      (o.kind = 'failure' and o.relayed_at is not null and o.created_at < ${now}::timestamptz - interval '1 day') or
      (o.kind = 'event' and o.created_at < ${now}::timestamptz - make_interval(days => coalesce((t.settings->>'logRetentionDays')::int, ${DEFAULT_LOG_RETENTION_DAYS}))))`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}
