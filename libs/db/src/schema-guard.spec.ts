import { sql, type Selectable } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/test-database';
import type { Database } from './database';

/** 'null' when the TypeScript column type admits null, as the migrated column must then too. */
type Nullability<T> = null extends T ? 'null' : 'not null';

/**
 * Every table and column of `Database` with its nullability. The compiler checks this literal
 * against database.ts (a missing, extra or differently nullable column doesn't compile); the
 * test checks it against the schema the migrations build.
 */
const EXPECTED: {
  [T in keyof Database]: { [C in keyof Selectable<Database[T]>]-?: Nullability<Selectable<Database[T]>[C]> };
} = {
  applied_commands: {
    command_id: 'not null',
    tenant_id: 'not null',
    outcome: 'not null',
    applied_at: 'not null',
  },
  group_members: {
    tenant_id: 'not null',
    group_id: 'not null',
    user_id: 'null',
    member_group_id: 'null',
    member_id: 'not null',
    created_at: 'not null',
  },
  groups: {
    tenant_id: 'not null',
    id: 'not null',
    data: 'not null',
    display_name: 'not null',
    external_id: 'null',
    version: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
  },
  notification_digests: {
    id: 'not null',
    tenant_id: 'not null',
    status: 'not null',
    window_start: 'not null',
    due_at: 'not null',
    failure_count: 'null',
    recipients: 'null',
    attempts: 'not null',
    last_error: 'null',
    message_id: 'null',
    sent_at: 'null',
  },
  notification_failures: {
    id: 'not null',
    tenant_id: 'not null',
    digest_id: 'not null',
    at: 'not null',
    payload: 'not null',
  },
  outbox: {
    id: 'not null',
    position: 'not null',
    tenant_id: 'not null',
    kind: 'not null',
    payload: 'not null',
    created_at: 'not null',
    sequence: 'null',
    relayed_at: 'null',
  },
  provisioning_log: {
    tenant_id: 'not null',
    id: 'not null',
    at: 'not null',
    operation: 'not null',
    resource_type: 'not null',
    resource_id: 'null',
    resource_name: 'null',
    external_id: 'null',
    outcome: 'not null',
    http_status: 'not null',
    scim_type: 'null',
    detail: 'null',
    duration_ms: 'null',
    trace_id: 'null',
    request_id: 'null',
    command_id: 'null',
  },
  tenant_event_counters: {
    tenant_id: 'not null',
    last_sequence: 'not null',
  },
  tenants: {
    id: 'not null',
    name: 'not null',
    token_hash: 'not null',
    token_rotated_at: 'not null',
    settings: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
    disabled_at: 'null',
    token_last_used_at: 'null',
    previous_token_hash: 'null',
    previous_token_expires_at: 'null',
  },
  users: {
    tenant_id: 'not null',
    id: 'not null',
    data: 'not null',
    user_name: 'not null',
    external_id: 'null',
    active: 'not null',
    version: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
  },
  webhook_dead_letters: {
    tenant_id: 'not null',
    webhook_id: 'not null',
    sequence: 'not null',
    event_id: 'not null',
    attempts: 'not null',
    last_error: 'null',
    dead_at: 'not null',
  },
  webhooks: {
    tenant_id: 'not null',
    id: 'not null',
    url: 'not null',
    secret: 'not null',
    created_at: 'not null',
    delivered_sequence: 'not null',
    attempts: 'not null',
    next_attempt_at: 'null',
    last_error: 'null',
    last_delivered_at: 'null',
    lease_owner: 'null',
    lease_until: 'null',
  },
};

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('the migrated schema', () => {
  it('has exactly the tables and columns database.ts declares, with the same nullability', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO' }>`
      select table_name, column_name, is_nullable from information_schema.columns
      where table_schema = 'public' and table_name not like 'kysely_migration%'`.execute(t.db);
    const actual: Record<string, Record<string, string>> = {};
    for (const row of rows) {
      actual[row.table_name] = {
        ...actual[row.table_name],
        [row.column_name]: row.is_nullable === 'YES' ? 'null' : 'not null',
      };
    }
    expect(actual).toEqual(EXPECTED);
  });
});
