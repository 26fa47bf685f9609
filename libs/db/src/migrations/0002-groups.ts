import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table groups (
      tenant_id uuid not null references tenants (id) on delete cascade,
      id uuid not null,
      data jsonb not null,
      display_name text not null generated always as (data->>'displayName') stored,
      external_id text generated always as (data->>'externalId') stored,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create unique index groups_display_name_key on groups (tenant_id, lower(display_name))`.execute(db);
  await sql`create index groups_external_id_idx on groups (tenant_id, external_id)`.execute(db);

  // Memberships are rows, changed by SQL deltas, never rewritten as a list. A member is a user or
  // a group: one foreign key each, exactly one set, so the database itself drops the memberships
  // of a deleted member (ON DELETE CASCADE) and refuses one for a member that doesn't exist.
  await sql`
    create table group_members (
      tenant_id uuid not null,
      group_id uuid not null,
      user_id uuid,
      member_group_id uuid,
      member_id uuid not null generated always as (coalesce(user_id, member_group_id)) stored,
      created_at timestamptz not null default now(),
      primary key (tenant_id, group_id, member_id),
      check (num_nonnulls(user_id, member_group_id) = 1),
      check (member_group_id is distinct from group_id),
      foreign key (tenant_id, group_id) references groups (tenant_id, id) on delete cascade,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade,
      foreign key (tenant_id, member_group_id) references groups (tenant_id, id) on delete cascade
    )`.execute(db);
  // A user's groups, and the cascades above, look memberships up by member.
  await sql`create index group_members_user_idx on group_members (tenant_id, user_id) where user_id is not null`.execute(
    db,
  );
  await sql`create index group_members_group_member_idx on group_members (tenant_id, member_group_id) where member_group_id is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table group_members`.execute(db);
  await sql`drop table groups`.execute(db);
}
