import { sql } from 'kysely';
import type { OutcomeSummary, RecordedEvent } from '@scimflow/jobs';
import type { Trx } from '../database';
import { jsonArray } from '../json-array';
import { failureRecordOf, logValues, type LogEntry } from './provisioning-log-repository';

/** A command applied by this transaction, recorded so a rerun of its job answers it as a replay. */
export interface AppliedRecord {
  readonly commandId: string;
  readonly tenantId: string;
  readonly outcome: OutcomeSummary;
}

export interface WriteEffects {
  readonly applied: readonly AppliedRecord[];
  /** One provisioning-log line per command; failures also become failure records for the notifier. */
  readonly log: readonly LogEntry[];
  /** Membership events in the order the changes were made. */
  readonly events: readonly RecordedEvent[];
  /** When the failures happened (the failure records' `at`). */
  readonly at: Date;
}

/**
 * Everything a write transaction records besides the change itself, in one statement (one round
 * trip): its applied-command records, its provisioning-log lines, its failure records, and its
 * events, numbered per tenant. Numbering bumps the tenant's counter row, which stays locked until
 * this transaction commits: sequence order is commit order, and a rollback takes its numbers back,
 * so a tenant's log has no gaps. Outbox rows keep the order the changes were made in (events, then failures). Run it last, just before COMMIT, so the lock is held briefly;
 * counters are bumped in tenant-id order, so two transactions never wait on each other in a circle.
 */
export async function recordWriteEffects(trx: Trx, effects: WriteEffects): Promise<void> {
  const { applied, log, events } = effects;
  if (applied.length === 0 && log.length === 0 && events.length === 0) return;
  const numbered = numberPerTenant(events);
  const lines = logValues(log);
  const failures = log
    .filter((entry) => entry.outcome === 'failure')
    .map((entry) => failureRecordOf(entry, effects.at));
  const column = <K extends keyof (typeof lines)[number]>(key: K) => lines.map((line) => line[key]);
  await sql`
    with applied as (
      insert into applied_commands (command_id, tenant_id, outcome)
      select * from rows from (unnest(${applied.map((a) => a.commandId)}::uuid[]),
        unnest(${applied.map((a) => a.tenantId)}::uuid[]), jsonb_array_elements(${jsonArray(applied.map((a) => a.outcome))}::jsonb))
    ), logged as (
      insert into provisioning_log (tenant_id, id, operation, resource_type, resource_id, resource_name, external_id,
        outcome, http_status, scim_type, detail, duration_ms, trace_id, command_id,
        request_id)
      select * from unnest(${column('tenant_id')}::uuid[], ${column('id')}::uuid[], ${column('operation')}::text[],
        ${column('resource_type')}::text[], ${column('resource_id')}::uuid[], ${column('resource_name')}::text[],
        ${column('external_id')}::text[], ${column('outcome')}::text[], ${column('http_status')}::smallint[],
        ${column('scim_type')}::text[], ${column('detail')}::text[], ${column('duration_ms')}::int[],
        ${column('trace_id')}::text[], ${column('command_id')}::uuid[], ${column('request_id')}::text[])
    ), counted as (
      insert into tenant_event_counters as c (tenant_id, last_sequence)
      select * from unnest(${numbered.tenants.map((t) => t.tenantId)}::uuid[], ${numbered.tenants.map((t) => t.count)}::bigint[])
      on conflict (tenant_id) do update set last_sequence = c.last_sequence + excluded.last_sequence
      returning c.tenant_id, c.last_sequence
    )
    insert into outbox (id, tenant_id, kind, payload, sequence)
    select id, tenant_id, kind, payload, sequence from (
      select e.id, e.tenant_id, 'event' as kind, e.payload, counted.last_sequence - e.from_end as sequence, e.n
      from rows from (unnest(${numbered.events.map((e) => e.event.jti)}::uuid[]),
        unnest(${numbered.events.map((e) => e.event.tenant)}::uuid[]),
        jsonb_array_elements(${jsonArray(numbered.events.map((e) => e.event))}::jsonb),
        unnest(${numbered.events.map((e) => e.fromEnd)}::bigint[])) with ordinality as e(id, tenant_id, payload, from_end, n)
      join counted on counted.tenant_id = e.tenant_id
      union all
      select f.id, f.tenant_id, 'failure', f.payload, null, ${numbered.events.length} + f.n
      from rows from (unnest(${failures.map((f) => f.id)}::uuid[]), unnest(${failures.map((f) => f.tenantId)}::uuid[]),
        jsonb_array_elements(${jsonArray(failures)}::jsonb)) with ordinality as f(id, tenant_id, payload, n)
    ) as rows order by n`.execute(trx);
}

/**
 * Each tenant's event count (sorted by tenant id: the counters' lock order), and for each event how
 * many of its tenant's events of this transaction come after it: its sequence is the tenant's new
 * last sequence minus that.
 */
function numberPerTenant(events: readonly RecordedEvent[]) {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.tenant, (counts.get(event.tenant) ?? 0) + 1);
  const seen = new Map<string, number>();
  const numbered = events.map((event) => {
    const index = seen.get(event.tenant) ?? 0;
    seen.set(event.tenant, index + 1);
    return { event, fromEnd: (counts.get(event.tenant) ?? 0) - 1 - index };
  });
  const tenants = [...counts]
    .map(([tenantId, count]) => ({ tenantId, count }))
    .toSorted((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  return { tenants, events: numbered };
}
