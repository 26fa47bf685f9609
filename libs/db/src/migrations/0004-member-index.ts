import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  // "Which groups hold this member?" (deleting a user or group, its events, a user's groups) looks
  // memberships up by member_id. Without this it scanned the tenant's whole membership table:
  // found by index-guard.spec.ts (issue 8).
  await sql`create index group_members_member_idx on group_members (tenant_id, member_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index group_members_member_idx`.execute(db);
}
