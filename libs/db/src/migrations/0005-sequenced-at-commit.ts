import { sql, type Kysely } from 'kysely';

// Frozen: migrations describe the schema as it was, so they never import today's Database type.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Events are now numbered by the transaction that writes them (the tenant's counter row is
  // locked until commit, so sequence order is commit order) and are never "relayed": delivery
  // reads the log. Only failure records still wait for the relay, which hands them to the
  // notifier. Events a relay had not numbered yet are numbered here, in outbox order.
  await sql`
    with pending as (
      select id, tenant_id, row_number() over (partition by tenant_id order by position) as n
      from outbox where kind = 'event' and sequence is null
    ), counts as (
      select tenant_id, count(*) as added from pending group by tenant_id
    ), bumped as (
      insert into tenant_event_counters as c (tenant_id, last_sequence)
      select tenant_id, added from counts
      on conflict (tenant_id) do update set last_sequence = c.last_sequence + excluded.last_sequence
      returning c.tenant_id, c.last_sequence
    )
    update outbox o set sequence = b.last_sequence - k.added + p.n
    from pending p join counts k using (tenant_id) join bumped b using (tenant_id)
    where o.id = p.id`.execute(db);
  await sql`update outbox set relayed_at = coalesce(relayed_at, now()) where kind = 'event'`.execute(db);
  await sql`drop index outbox_pending_idx`.execute(db);
  await sql`create index outbox_failures_pending_idx on outbox (position) where kind = 'failure' and relayed_at is null`.execute(
    db,
  );
  // Every event is numbered from now on.
  await sql`alter table outbox add constraint outbox_event_sequenced check (kind <> 'event' or sequence is not null)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox drop constraint outbox_event_sequenced`.execute(db);
  await sql`drop index outbox_failures_pending_idx`.execute(db);
  await sql`create index outbox_pending_idx on outbox (position) where relayed_at is null`.execute(db);
}
