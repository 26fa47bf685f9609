import { sql } from 'kysely';
import type { FailureRecord, OutcomeSummary, RecordedEvent } from '@scimflow/jobs';
import type { StoredResource } from '@scimflow/scim';
import type { Executor } from '../database';
import { jsonArray } from '../json-array';
import { logValues, type LogEntry } from './provisioning-log-repository';
import { keyOf, resourceColumns, toStored, type NewResource, type ResourceRow } from './resource-repository';

/** What one user creation leaves behind, whichever way it goes: planned before the statement runs. */
export interface PlannedCreation {
  readonly user: NewResource;
  /** False for a command already refused (its tenant's profile): only its refusal is recorded. */
  readonly insert: boolean;
  readonly commandId: string;
  /** When the user is inserted. */
  readonly created: {
    readonly outcome: OutcomeSummary;
    readonly log: LogEntry;
    readonly events: readonly RecordedEvent[];
  };
  /** When its userName (or id) is taken, or it was refused: nothing is inserted. */
  readonly taken: { readonly outcome: OutcomeSummary; readonly log: LogEntry; readonly failure: FailureRecord };
}

/**
 * A batch of user creations in ONE statement, committed on its own (no BEGIN/COMMIT): the users,
 * and for each command the applied-command record, the provisioning-log line, and either its
 * events (numbered per tenant, as recordWriteEffects does) or its failure record. What happened to
 * each user decides which of its two planned sets is written. The common case of an initial sync
 * costs one round trip per batch instead of four. Rows go in the order given (the lock order).
 * Returns the users that were inserted.
 */
export async function createUsersAtOnce(
  db: Executor,
  plans: readonly PlannedCreation[],
): Promise<Map<string, StoredResource>> {
  if (plans.length === 0) return new Map();
  const documents = plans.map((plan) => {
    const [createdLog, takenLog] = logValues([plan.created.log, plan.taken.log]);
    return {
      data: plan.user.data,
      created_outcome: plan.created.outcome,
      taken_outcome: plan.taken.outcome,
      created_log: createdLog,
      taken_log: takenLog,
      failure: plan.taken.failure,
    };
  });
  const events = plans.flatMap((plan) => plan.created.events.map((event) => ({ event, owner: plan.user.id })));
  const { rows } = await sql<ResourceRow & { tenant_id: string }>`
    with plan as (
      select tenant_id, id, doc->'data' as data, command_id, doc->'created_outcome' as created_outcome,
        doc->'taken_outcome' as taken_outcome, doc->'created_log' as created_log, doc->'taken_log' as taken_log,
        doc->'failure' as failure, do_insert, n
      from rows from (
        unnest(${plans.map((p) => p.user.tenantId)}::uuid[]), unnest(${plans.map((p) => p.user.id)}::uuid[]),
        unnest(${plans.map((p) => p.commandId)}::uuid[]), unnest(${plans.map((p) => p.insert)}::boolean[]),
        jsonb_array_elements(${jsonArray(documents)}::jsonb)
      ) with ordinality as p(tenant_id, id, command_id, do_insert, doc, n)
    ), ins as (
      insert into users (tenant_id, id, data) select tenant_id, id, data from plan where do_insert order by n
      on conflict do nothing returning tenant_id, ${resourceColumns('users')}
    ), result as (
      select plan.*, ins.id is not null as inserted from plan left join ins on ins.tenant_id = plan.tenant_id and ins.id = plan.id
    ), applied as (
      insert into applied_commands (command_id, tenant_id, outcome)
      select command_id, tenant_id, case when inserted then created_outcome else taken_outcome end from result
    ), logged as (
      insert into provisioning_log (tenant_id, id, operation, resource_type, resource_id, resource_name, external_id,
        outcome, http_status, scim_type, detail, duration_ms, trace_id, command_id,
        request_id)
      select l.tenant_id, l.id, l.operation, l.resource_type, l.resource_id, l.resource_name, l.external_id, l.outcome,
        l.http_status, l.scim_type, l.detail, l.duration_ms, l.trace_id, l.command_id,
        l.request_id
      from result, jsonb_populate_record(null::provisioning_log, case when inserted then created_log else taken_log end) l
    ), failed as (
      insert into outbox (id, tenant_id, kind, payload)
      select (failure->>'id')::uuid, tenant_id, 'failure', failure from result where not inserted order by n
    ), ev as (
      select e.*, row_number() over (partition by e.tenant_id order by e.n) as k, count(*) over (partition by e.tenant_id) as added
      from rows from (
        unnest(${events.map((e) => e.event.jti)}::uuid[]), unnest(${events.map((e) => e.event.tenant)}::uuid[]),
        unnest(${events.map((e) => e.owner)}::uuid[]),
        jsonb_array_elements(${jsonArray(events.map((e) => e.event))}::jsonb)
      ) with ordinality as e(id, tenant_id, owner, payload, n)
      join ins on ins.tenant_id = e.tenant_id and ins.id = e.owner
    ), counted as (
      -- Bumped in tenant-id order, and locked until this statement commits: see recordWriteEffects.
      insert into tenant_event_counters as c (tenant_id, last_sequence)
      select tenant_id, max(added) from ev group by tenant_id order by tenant_id
      on conflict (tenant_id) do update set last_sequence = c.last_sequence + excluded.last_sequence
      returning c.tenant_id, c.last_sequence
    ), events as (
      insert into outbox (id, tenant_id, kind, payload, sequence)
      select ev.id, ev.tenant_id, 'event', ev.payload, counted.last_sequence - ev.added + ev.k
      from ev join counted on counted.tenant_id = ev.tenant_id order by ev.n
    )
    select * from ins`.execute(db);
  return new Map(rows.map((row) => [keyOf(row.tenant_id, row.id), toStored(row)]));
}
