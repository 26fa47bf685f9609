import { sql } from 'kysely';
import type { Executor } from '../database';

/** One row of the operators' tenant list. */
export interface TenantListItem {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  readonly tokenLastUsedAt: Date | null;
  readonly users: number;
  readonly groups: number;
}

/**
 * Where a page of the tenant list ends: creation time and id (ids are random, so not an order
 * alone). Times are compared to the millisecond, the precision a cursor carries (Postgres keeps
 * microseconds); the tenant table is small enough to sort without an index on that.
 */
export interface TenantListPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** `%` and `_` are data in a name search, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replaceAll(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Tenants by creation, optionally whose name contains `search` (case-insensitively), after `after`. */
export async function listTenants(
  db: Executor,
  options: { search?: string; after?: TenantListPosition; limit: number },
): Promise<TenantListItem[]> {
  const { search, after, limit } = options;
  const { rows } = await sql<{
    id: string;
    name: string;
    created_at: Date;
    disabled_at: Date | null;
    token_last_used_at: Date | null;
    users: number;
    groups: number;
  }>`
    select t.id, t.name, t.created_at, t.disabled_at, t.token_last_used_at,
      (select count(*) from users u where u.tenant_id = t.id)::int as users,
      (select count(*) from groups g where g.tenant_id = t.id)::int as groups
    from tenants t
    where (${search ?? null}::text is null or t.name ilike ${search === undefined ? null : likePattern(search)})
      and (${after?.createdAt ?? null}::timestamptz is null
        or (date_trunc('milliseconds', t.created_at), t.id) > (${after?.createdAt ?? null}::timestamptz, ${after?.id ?? null}::uuid))
    order by date_trunc('milliseconds', t.created_at), t.id
    limit ${limit}`.execute(db);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    tokenLastUsedAt: row.token_last_used_at,
    users: row.users,
    groups: row.groups,
  }));
}

/** The smallest uuidv7 of a millisecond: log ids are uuidv7, so an id range is a time range on the primary key. */
function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export interface TenantActivity {
  readonly users: number;
  readonly groups: number;
  readonly lastRequestAt: Date | null;
  readonly last24h: { readonly writes: number; readonly failures: number; readonly throttled: number };
  readonly webhooks: readonly {
    readonly id: string;
    readonly url: string;
    readonly deliveredSequence: number;
    readonly headSequence: number;
    readonly oldestUndeliveredAt: Date | null;
  }[];
}

/** What the inventory says about one tenant: its size, its last day in the provisioning log, its webhooks' lag. */
export async function tenantActivity(db: Executor, tenantId: string): Promise<TenantActivity> {
  const since = uuidv7Floor(Date.now() - 24 * 3600_000);
  const [counts, day, last, hooks] = await Promise.all([
    sql<{ users: number; groups: number }>`
      select (select count(*) from users where tenant_id = ${tenantId})::int as users,
        (select count(*) from groups where tenant_id = ${tenantId})::int as groups`.execute(db),
    sql<{ writes: number; failures: number; throttled: number }>`
      select count(*) filter (where operation in ('create', 'replace', 'patch', 'delete'))::int as writes,
        count(*) filter (where outcome = 'failure')::int as failures,
        count(*) filter (where http_status = 429)::int as throttled
      from provisioning_log where tenant_id = ${tenantId} and id >= ${since}::uuid`.execute(db),
    sql<{ at: Date }>`
      select at from provisioning_log where tenant_id = ${tenantId} order by id desc limit 1`.execute(db),
    sql<{ id: string; url: string; delivered_sequence: string; head: string | null; oldest: Date | null }>`
      select w.id, w.url, w.delivered_sequence, c.last_sequence as head,
        (select o.created_at from outbox o
          where o.tenant_id = w.tenant_id and o.kind = 'event' and o.sequence = w.delivered_sequence + 1) as oldest
      from webhooks w left join tenant_event_counters c on c.tenant_id = w.tenant_id
      where w.tenant_id = ${tenantId} order by w.created_at`.execute(db),
  ]);
  return {
    users: counts.rows[0]?.users ?? 0,
    groups: counts.rows[0]?.groups ?? 0,
    lastRequestAt: last.rows[0]?.at ?? null,
    last24h: day.rows[0] ?? { writes: 0, failures: 0, throttled: 0 },
    webhooks: hooks.rows.map((row) => ({
      id: row.id,
      url: row.url,
      deliveredSequence: Number(row.delivered_sequence),
      headSequence: Number(row.head ?? row.delivered_sequence),
      oldestUndeliveredAt: row.oldest,
    })),
  };
}

/** One minute of a tenant's provisioning log. */
export interface ActivityMinute {
  readonly minute: Date;
  readonly writes: number;
  readonly failures: number;
  readonly throttled: number;
}

/** The tenant's writes, failures and 429s per minute over the last `minutes` (empty minutes left out). */
export async function activityByMinute(db: Executor, tenantId: string, minutes: number): Promise<ActivityMinute[]> {
  const since = uuidv7Floor(Date.now() - minutes * 60_000);
  const { rows } = await sql<{ minute: Date; writes: number; failures: number; throttled: number }>`
    select date_trunc('minute', at) as minute,
      count(*) filter (where operation in ('create', 'replace', 'patch', 'delete'))::int as writes,
      count(*) filter (where outcome = 'failure')::int as failures,
      count(*) filter (where http_status = 429)::int as throttled
    from provisioning_log where tenant_id = ${tenantId} and id >= ${since}::uuid
    group by 1 order by 1`.execute(db);
  return rows;
}

/** Users created in the last `minutes` (the running count of an initial sync, its "progress bar"). */
export async function usersCreatedSince(db: Executor, tenantId: string, minutes: number): Promise<number> {
  // User ids are uuidv7: a time range on the primary key.
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from users
    where tenant_id = ${tenantId} and id >= ${uuidv7Floor(Date.now() - minutes * 60_000)}::uuid`.execute(db);
  return rows[0]?.n ?? 0;
}
