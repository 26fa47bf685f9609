import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tenants (
      id uuid primary key,
      name text not null,
      token_hash bytea not null,
      token_rotated_at timestamptz not null default now(),
      settings jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  // Lower-cased `value`s of a multi-valued attribute, for GIN lookups like emails[...].value eq "x".
  await sql`
    create function scim_lower_values(items jsonb) returns text[]
    language sql immutable parallel safe strict as $$
      select coalesce(array_agg(lower(item->>'value')), '{}')
      from jsonb_array_elements(case when jsonb_typeof(items) = 'array' then items else '[]'::jsonb end) as item
    $$`.execute(db);

  await sql`
    create table users (
      tenant_id uuid not null references tenants (id) on delete cascade,
      id uuid not null,
      data jsonb not null,
      user_name text not null generated always as (data->>'userName') stored,
      external_id text generated always as (data->>'externalId') stored,
      active boolean not null generated always as (coalesce((data->>'active')::boolean, true)) stored,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  // userName is unique per tenant regardless of case (RFC 7643 §4.1.1: caseExact false).
  await sql`create unique index users_user_name_key on users (tenant_id, lower(user_name))`.execute(db);
  await sql`create index users_external_id_idx on users (tenant_id, external_id)`.execute(db);
  await sql`create index users_email_values_idx on users using gin (scim_lower_values(data->'emails'))`.execute(db);

  // One row per command the worker committed, written in the same transaction as its effect,
  // so a job BullMQ runs twice (stalled, retried) is answered from here instead of applied twice.
  await sql`
    create table applied_commands (
      command_id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      outcome jsonb not null,
      applied_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index applied_commands_applied_at_idx on applied_commands (applied_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table applied_commands`.execute(db);
  await sql`drop table users`.execute(db);
  await sql`drop function scim_lower_values(jsonb)`.execute(db);
  await sql`drop table tenants`.execute(db);
}
