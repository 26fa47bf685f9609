import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Issue 11: a tenant can be disabled (SCIM answers 403) without deleting its data; a rotated
  // token may stay valid for a grace period (the old hash beside its expiry); "last used" is
  // kept to the minute, not per request.
  await sql`
    alter table tenants
      add column disabled_at timestamptz,
      add column token_last_used_at timestamptz,
      add column previous_token_hash bytea,
      add column previous_token_expires_at timestamptz
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table tenants
      drop column disabled_at,
      drop column token_last_used_at,
      drop column previous_token_hash,
      drop column previous_token_expires_at
  `.execute(db);
}
