import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import { Client, Pool } from 'pg';
import { GroupResource, parseFilter, UserResource } from '@scimflow/scim';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/test-database';
import type { Database } from './database';
import { compileFilter } from './query/filter-sql';
import { GroupSql, UserSql } from './query/resource-sql';
import { searchResources } from './query/resource-search';
import { findExactly } from './query/exact-lookups';
import { groupsContaining, groupsOfUsers } from './repositories/membership-repository';
import { pendingFailures } from './repositories/outbox-repository';
import { searchLog } from './repositories/provisioning-log-repository';

// The identity providers' hot lookups must use indexes: each runs once per user or group of an
// initial sync. This runs the SQL the repositories really send (captured by kysely's log) and
// asks Postgres for its plan the way production runs it: a prepared statement, generic plan
// (create-database.ts sets plan_cache_mode=force_generic_plan), over a seeded, analyzed table.

let t: TestDatabase;
let db: Kysely<Database>;
let client: Client;
const captured: CompiledQuery[] = [];
const tenants = [randomUUID(), randomUUID(), randomUUID()];
const tenantId = tenants[0] ?? '';

beforeAll(async () => {
  t = await createTestDatabase();
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: t.url, max: 1 }) }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  client = new Client({ connectionString: t.url });
  await client.connect();
  await seed();
});
afterAll(async () => {
  await client.end();
  await db.destroy();
  await t.drop();
});

/**
 * 3 tenants × 3,000 users with work emails, 300 groups, each user in two groups; for the first
 * tenant, 20,000 events and 20,000 successful writes in the outbox and the log, and 3 failures.
 */
async function seed(): Promise<void> {
  for (const id of tenants) {
    await client.query(`insert into tenants (id, name, token_hash) values ($1::uuid, $1::text, '\\x00')`, [id]);
    await client.query(
      `insert into users (tenant_id, id, data)
       select $1, gen_random_uuid(), jsonb_build_object('userName', 'user' || n || '@contoso.com',
         'externalId', 'ext-' || n, 'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'value', 'user' || n || '@contoso.com')))
       from generate_series(1, 3000) n`,
      [id],
    );
    await client.query(
      `insert into groups (tenant_id, id, data)
       select $1, gen_random_uuid(), jsonb_build_object('displayName', 'group ' || n) from generate_series(1, 300) n`,
      [id],
    );
    await client.query(
      `insert into group_members (tenant_id, group_id, user_id)
       select u.tenant_id, g.id, u.id from (select *, row_number() over () as n from users where tenant_id = $1) u
       join (select *, row_number() over () as n from groups where tenant_id = $1) g on g.n in (u.n % 300 + 1, (u.n + 7) % 300 + 1)`,
      [id],
    );
  }
  await client.query(
    `insert into outbox (id, tenant_id, kind, payload, sequence)
     select gen_random_uuid(), $1, 'event', '{}', n from generate_series(1, 20000) n`,
    [tenantId],
  );
  await client.query(
    `insert into outbox (id, tenant_id, kind, payload) select gen_random_uuid(), $1, 'failure', '{}' from generate_series(1, 3)`,
    [tenantId],
  );
  await client.query(
    `insert into provisioning_log (tenant_id, id, operation, resource_type, outcome, http_status)
     select $1, gen_random_uuid(), 'create', 'User', case when n % 7000 = 0 then 'failure' else 'success' end,
       case when n % 7000 = 0 then 400 else 201 end
     from generate_series(1, 20000) n`,
    [tenantId],
  );
  await client.query('analyze');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

function literal(value: unknown): string {
  if (Array.isArray(value))
    return client.escapeLiteral(`{${value.map((item) => JSON.stringify(String(item))).join(',')}}`);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return client.escapeLiteral(String(value));
}

/** The generic plan of every statement `work` sends. */
async function plansOf(work: (db: Kysely<Database>) => Promise<unknown>): Promise<PlanNode[][]> {
  captured.length = 0;
  await work(db);
  const plans: PlanNode[][] = [];
  for (const query of captured) {
    await client.query(`prepare guard_statement as ${query.sql}`);
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      const args = query.parameters.length > 0 ? `(${query.parameters.map(literal).join(', ')})` : '';
      const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        `explain (format json) execute guard_statement${args}`,
      );
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      if (plan) plans.push(nodesOf(plan));
    } finally {
      await client.query('deallocate guard_statement');
    }
  }
  return plans;
}

function expectIndexed(plans: PlanNode[][], table: string, index: string): void {
  const nodes = plans.flat();
  expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name'])).not.toContain(
    table,
  );
  expect(nodes.map((node) => node['Index Name'])).toContain(index);
}

const lookup = (resource: typeof UserResource, filter: string) => (executor: Kysely<Database>) =>
  searchResources(executor, resource, {
    tenantId,
    where: compileFilter(resource === UserResource ? UserSql : GroupSql, parseFilter(filter)),
    page: { mode: 'index', offset: 0, limit: 100 },
    withGroups: true,
  });

describe('the background polls and the failure views', () => {
  // A partial index serves a generic plan only when the query states its predicate as a literal.
  it("the failure relay's poll (every second) uses outbox_failures_pending_idx, not a scan of the events", async () => {
    expectIndexed(await plansOf((executor) => pendingFailures(executor, 500)), 'outbox', 'outbox_failures_pending_idx');
  });

  it("a tenant's failures in the provisioning log use provisioning_log_failures_idx", async () => {
    expectIndexed(
      await plansOf((executor) => searchLog(executor, tenantId, { outcome: 'failure', limit: 50 })),
      'provisioning_log',
      'provisioning_log_failures_idx',
    );
  });
});

describe("the identity providers' hot lookups", () => {
  it.each([
    ['userName eq', 'users_user_name_key', 'userName eq "user42@contoso.com"'],
    ['externalId eq', 'users_external_id_idx', 'externalId eq "ext-42"'],
    [
      'emails[type eq "work"].value eq',
      'users_email_values_idx',
      'emails[type eq "work"].value eq "user42@contoso.com"',
    ],
  ])('User %s uses %s', async (_name, index, filter) => {
    expectIndexed(await plansOf(lookup(UserResource, filter)), 'users', index);
  });

  // The same lookups of many requests at once (exact-lookups.ts): one index probe per lookup, not a scan per statement.
  it.each([
    ['User', 'userName', 'users_user_name_key', 'user42@contoso.com'],
    ['User', 'externalId', 'users_external_id_idx', 'ext-42'],
    ['Group', 'displayName', 'groups_display_name_key', 'group 42'],
  ] as const)('batched %s %s eq lookups use %s', async (name, attribute, index, value) => {
    const [resource, table] = name === 'User' ? [UserResource, 'users'] : [GroupResource, 'groups'];
    const lookups = tenants.map((tenant) => ({ tenantId: tenant, value, limit: 100 }));
    expectIndexed(await plansOf((executor) => findExactly(executor, resource, attribute, lookups, true)), table, index);
  });

  it('Group displayName eq uses groups_display_name_key', async () => {
    expectIndexed(
      await plansOf(lookup(GroupResource, 'displayName eq "group 42"')),
      'groups',
      'groups_display_name_key',
    );
  });

  it('memberships by member use an index on the member', async () => {
    const { rows } = await sql<{ id: string }>`select id from users where tenant_id = ${tenantId} limit 2`.execute(db);
    const ids = rows.map((row) => row.id);
    expectIndexed(
      await plansOf((executor) => groupsContaining(executor, tenantId, ids)),
      'group_members',
      'group_members_member_idx',
    );
    expectIndexed(
      await plansOf((executor) => groupsOfUsers(executor, tenantId, ids)),
      'group_members',
      'group_members_user_idx',
    );
  });
});
