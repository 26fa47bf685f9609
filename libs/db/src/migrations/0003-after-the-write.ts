import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per SCIM write, accepted or rejected (Entra's "provisioning logs"). Ids are uuidv7,
  // so ordering by id is ordering by time; no bodies, no secrets: names, outcome, error text.
  await sql`
    create table provisioning_log (
      tenant_id uuid not null references tenants (id) on delete cascade,
      id uuid not null,
      at timestamptz not null default now(),
      operation text not null,
      resource_type text not null,
      resource_id uuid,
      resource_name text,
      external_id text,
      outcome text not null check (outcome in ('success', 'failure')),
      http_status smallint not null,
      scim_type text,
      detail text,
      duration_ms integer,
      trace_id text,
      command_id uuid,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index provisioning_log_failures_idx on provisioning_log (tenant_id, id) where outcome = 'failure'`.execute(
    db,
  );
  await sql`create index provisioning_log_resource_idx on provisioning_log (tenant_id, resource_id, id)`.execute(db);
  await sql`create index provisioning_log_at_idx on provisioning_log (at)`.execute(db);

  // Transactional outbox: membership events and failure records, written in the transaction of
  // the change they describe. The relay gives events their per-tenant sequence after commit
  // (commit order, not insert order, is what a reader can observe) and publishes each row once.
  await sql`
    create table outbox (
      id uuid primary key,
      position bigint generated always as identity,
      tenant_id uuid not null references tenants (id) on delete cascade,
      kind text not null check (kind in ('event', 'failure')),
      payload jsonb not null,
      created_at timestamptz not null default now(),
      sequence bigint,
      relayed_at timestamptz,
      check (kind = 'event' or sequence is null)
    )`.execute(db);
  await sql`create index outbox_pending_idx on outbox (position) where relayed_at is null`.execute(db);
  await sql`create unique index outbox_tenant_sequence_key on outbox (tenant_id, sequence) where sequence is not null`.execute(
    db,
  );
  await sql`create index outbox_created_idx on outbox (created_at)`.execute(db);

  await sql`
    create table tenant_event_counters (
      tenant_id uuid primary key references tenants (id) on delete cascade,
      last_sequence bigint not null
    )`.execute(db);

  // Webhook endpoints: delivered in sequence order, one delivery run per endpoint at a time
  // (a lease, so a crashed worker's run expires instead of blocking the endpoint).
  await sql`
    create table webhooks (
      tenant_id uuid not null references tenants (id) on delete cascade,
      id uuid not null,
      url text not null,
      secret text not null,
      created_at timestamptz not null default now(),
      delivered_sequence bigint not null,
      attempts integer not null default 0,
      next_attempt_at timestamptz,
      last_error text,
      last_delivered_at timestamptz,
      lease_owner uuid,
      lease_until timestamptz,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`
    create table webhook_dead_letters (
      tenant_id uuid not null,
      webhook_id uuid not null,
      sequence bigint not null,
      event_id uuid not null,
      attempts integer not null,
      last_error text,
      dead_at timestamptz not null default now(),
      primary key (tenant_id, webhook_id, sequence),
      foreign key (tenant_id, webhook_id) references webhooks (tenant_id, id) on delete cascade
    )`.execute(db);

  // Failure notifications: every failure record once (id = its outbox id), grouped into one
  // digest per tenant and window; at most one open digest per tenant.
  await sql`
    create table notification_digests (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      status text not null check (status in ('open', 'closed', 'sent', 'skipped')),
      window_start timestamptz not null,
      due_at timestamptz not null,
      failure_count integer,
      recipients text[],
      attempts integer not null default 0,
      last_error text,
      message_id text,
      sent_at timestamptz
    )`.execute(db);
  await sql`create unique index notification_digests_open_key on notification_digests (tenant_id) where status = 'open'`.execute(
    db,
  );
  await sql`create index notification_digests_tenant_idx on notification_digests (tenant_id, window_start)`.execute(db);
  await sql`
    create table notification_failures (
      id uuid primary key,
      tenant_id uuid not null references tenants (id) on delete cascade,
      digest_id uuid not null references notification_digests (id) on delete cascade,
      at timestamptz not null,
      payload jsonb not null
    )`.execute(db);
  await sql`create index notification_failures_digest_idx on notification_failures (digest_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'notification_failures',
    'notification_digests',
    'webhook_dead_letters',
    'webhooks',
    'tenant_event_counters',
    'outbox',
    'provisioning_log',
  ]) {
    await sql`drop table ${sql.table(table)}`.execute(db);
  }
}
