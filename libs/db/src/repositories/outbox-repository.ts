import { sql, type Kysely } from 'kysely';
import type { FailureRecord, RecordedEvent } from '@scimflow/jobs';
import type { Database, Executor, OutboxPayload } from '../database';
import { DEFAULT_LOG_RETENTION_DAYS } from '../tenant-settings';

/** Postgres channel the relay listens on; a NOTIFY is delivered only when its transaction commits. */
export const OUTBOX_CHANNEL = 'scimflow_outbox';

/** An outbox row as written: an event, or a failure record, each with its own payload type. */
export type OutboxEntry = { readonly id: string; readonly tenantId: string } & (
  | { readonly kind: 'event'; readonly payload: RecordedEvent }
  | { readonly kind: 'failure'; readonly payload: FailureRecord }
);

/** Events carry a token id (`jti`); failure records don't. */
export function isEventPayload(payload: OutboxPayload): payload is RecordedEvent {
  return 'jti' in payload;
}

/** Written in the transaction of the change it describes: committed together or not at all. */
export async function insertOutbox(trx: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(entries.map((e) => ({ id: e.id, tenant_id: e.tenantId, kind: e.kind, payload: JSON.stringify(e.payload) })))
    .execute();
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

/** An unrelayed row: an event with its tenant's sequence, or a failure record. */
export type PendingOutboxRow = { readonly id: string; readonly tenantId: string } & (
  | { readonly kind: 'event'; readonly payload: RecordedEvent; readonly sequence: number }
  | { readonly kind: 'failure'; readonly payload: FailureRecord }
);

/** One relay at a time sequences (two could interleave one tenant's numbers out of commit order). */
const RELAY_LOCK = sql`hashtext('scimflow-outbox-relay')`;

/**
 * Takes the oldest unrelayed rows and gives each event its tenant's next sequence numbers, in
 * outbox order, committing before anything is published: a published sequence never changes.
 * Returns undefined when another relay holds the lock.
 */
export async function sequencePending(db: Kysely<Database>, limit: number): Promise<PendingOutboxRow[] | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows: locked } = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as locked`.execute(trx);
    if (!locked[0]?.locked) return undefined;
    const rows = await trx
      .selectFrom('outbox')
      .select(['id', 'tenant_id', 'kind', 'payload', 'sequence'])
      .where('relayed_at', 'is', null)
      .orderBy('position')
      .limit(limit)
      .execute();
    const unsequenced = new Map<string, string[]>();
    for (const row of rows) {
      if (row.kind === 'event' && row.sequence === null)
        unsequenced.set(row.tenant_id, [...(unsequenced.get(row.tenant_id) ?? []), row.id]);
    }
    const assigned = new Map<string, number>();
    for (const [tenantId, ids] of unsequenced) {
      const { rows: counter } = await sql<{ last_sequence: string }>`
        insert into tenant_event_counters (tenant_id, last_sequence) values (${tenantId}, ${ids.length})
        on conflict (tenant_id) do update set last_sequence = tenant_event_counters.last_sequence + excluded.last_sequence
        returning last_sequence`.execute(trx);
      const first = Number(counter[0]?.last_sequence) - ids.length + 1;
      ids.forEach((id, index) => assigned.set(id, first + index));
    }
    if (assigned.size > 0) {
      await sql`
        update outbox set sequence = s.sequence
        from unnest(${[...assigned.keys()]}::uuid[], ${[...assigned.values()]}::bigint[]) as s(id, sequence)
        where outbox.id = s.id`.execute(trx);
    }
    return rows.map((row): PendingOutboxRow => {
      const { payload } = row;
      if (!isEventPayload(payload)) return { id: row.id, tenantId: row.tenant_id, kind: 'failure', payload };
      const sequence = row.sequence === null ? assigned.get(row.id) : Number(row.sequence);
      if (sequence === undefined) throw new Error(`outbox event ${row.id} was not sequenced`);
      return { id: row.id, tenantId: row.tenant_id, kind: 'event', payload, sequence };
    });
  });
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

/** Relayed rows past the tenant's retention (events) or a day old (failure records, already handed to the notifier). */
export async function pruneOutbox(db: Executor, now: Date): Promise<number> {
  const result = await sql`
    delete from outbox o using tenants t
    where t.id = o.tenant_id and o.relayed_at is not null and (
      (o.kind = 'failure' and o.created_at < ${now}::timestamptz - interval '1 day') or
      (o.kind = 'event' and o.created_at < ${now}::timestamptz - make_interval(days => coalesce((t.settings->>'logRetentionDays')::int, ${DEFAULT_LOG_RETENTION_DAYS}))))`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}
