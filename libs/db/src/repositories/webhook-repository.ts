import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, WebhookTable, Executor } from '../database';

export type WebhookRow = Selectable<WebhookTable>;
export type WebhookKey = { readonly tenantId: string; readonly id: string };

/** A new endpoint starts after the tenant's newest event: it receives what happens from now on. */
export async function insertWebhook(
  db: Executor,
  webhook: WebhookKey & { url: string; secret: string },
): Promise<WebhookRow> {
  const { rows } = await sql<WebhookRow>`
    insert into webhooks (tenant_id, id, url, secret, delivered_sequence)
    values (${webhook.tenantId}, ${webhook.id}, ${webhook.url}, ${webhook.secret},
      coalesce((select last_sequence from tenant_event_counters where tenant_id = ${webhook.tenantId}), 0))
    returning *`.execute(db);
  const [row] = rows;
  if (!row) throw new Error('insert … returning gave no webhook row');
  return row;
}

export interface WebhookStatus extends WebhookRow {
  readonly dead_letters: number;
}

export async function listWebhooks(db: Executor, tenantId: string): Promise<WebhookStatus[]> {
  const { rows } = await sql<WebhookStatus>`
    select w.*, (select count(*)::int from webhook_dead_letters d where d.tenant_id = w.tenant_id and d.webhook_id = w.id) as dead_letters
    from webhooks w where w.tenant_id = ${tenantId} order by w.created_at, w.id`.execute(db);
  return rows;
}

export async function deleteWebhook(db: Executor, key: WebhookKey): Promise<boolean> {
  const result = await db
    .deleteFrom('webhooks')
    .where('tenant_id', '=', key.tenantId)
    .where('id', '=', key.id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every tenant that has at least one webhook endpoint. */
export async function tenantsWithWebhooks(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('webhooks').select('tenant_id').distinct().execute();
  return rows.map((row) => row.tenant_id);
}

export async function webhookIdsOfTenant(db: Executor, tenantId: string): Promise<string[]> {
  const rows = await db.selectFrom('webhooks').select('id').where('tenant_id', '=', tenantId).execute();
  return rows.map((row) => row.id);
}

/**
 * Takes the endpoint's delivery lease: one delivery run per endpoint at a time keeps its events in
 * order; a lease (not a held transaction) so a crashed run only delays the endpoint until it expires.
 * A run is not started while the endpoint is backing off, unless `dueRetry`.
 */
export async function acquireWebhookLease(
  db: Executor,
  key: WebhookKey,
  owner: string,
  leaseMs: number,
  dueRetry: boolean,
): Promise<WebhookRow | undefined> {
  const { rows } = await sql<WebhookRow>`
    update webhooks set lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    where tenant_id = ${key.tenantId} and id = ${key.id}
      and (lease_until is null or lease_until < now())
      and (${dueRetry} or next_attempt_at is null or next_attempt_at <= now())
    returning *`.execute(db);
  return rows[0];
}

export async function releaseWebhookLease(db: Executor, key: WebhookKey, owner: string): Promise<void> {
  await sql`update webhooks set lease_owner = null, lease_until = null where tenant_id = ${key.tenantId} and id = ${key.id} and lease_owner = ${owner}`.execute(
    db,
  );
}

/** An event was accepted: move past it (only while still holding the lease) and extend the lease. */
export async function recordWebhookDelivered(
  db: Executor,
  key: WebhookKey,
  owner: string,
  sequence: number,
  leaseMs: number,
): Promise<boolean> {
  const result = await sql`
    update webhooks set delivered_sequence = ${sequence}, attempts = 0, next_attempt_at = null, last_error = null,
      last_delivered_at = now(), lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    where tenant_id = ${key.tenantId} and id = ${key.id} and lease_owner = ${owner}`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** A delivery attempt failed: back off until `nextAttemptAt`. */
export async function recordWebhookAttemptFailed(
  db: Executor,
  key: WebhookKey,
  owner: string,
  error: string,
  nextAttemptAt: Date,
): Promise<void> {
  await sql`
    update webhooks set attempts = attempts + 1, last_error = ${error.slice(0, 500)}, next_attempt_at = ${nextAttemptAt}
    where tenant_id = ${key.tenantId} and id = ${key.id} and lease_owner = ${owner}`.execute(db);
}

/** The event failed its last attempt: record it as dead and move the endpoint past it. */
export async function deadLetterWebhookEvent(
  db: Kysely<Database>,
  key: WebhookKey,
  owner: string,
  event: { sequence: number; eventId: string; attempts: number; error: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const moved = await sql`
      update webhooks set delivered_sequence = ${event.sequence}, attempts = 0, next_attempt_at = null, last_error = ${event.error.slice(0, 500)}
      where tenant_id = ${key.tenantId} and id = ${key.id} and lease_owner = ${owner}`.execute(trx);
    if (Number(moved.numAffectedRows ?? 0) !== 1) return;
    await trx
      .insertInto('webhook_dead_letters')
      .values({
        tenant_id: key.tenantId,
        webhook_id: key.id,
        sequence: event.sequence,
        event_id: event.eventId,
        attempts: event.attempts,
        last_error: event.error.slice(0, 500),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  });
}

/** One endpoint, secret included (for posting to it). */
export async function findWebhook(db: Executor, key: WebhookKey): Promise<WebhookRow | undefined> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('tenant_id', '=', key.tenantId)
    .where('id', '=', key.id)
    .executeTakeFirst();
}

/** A dead letter was delivered after all (a replay): it is no longer dead. */
export async function removeDeadLetter(db: Executor, key: WebhookKey, sequence: number): Promise<void> {
  await db
    .deleteFrom('webhook_dead_letters')
    .where('tenant_id', '=', key.tenantId)
    .where('webhook_id', '=', key.id)
    .where('sequence', '=', String(sequence))
    .execute();
}

export async function listDeadLetters(db: Executor, key: WebhookKey, limit: number) {
  return db
    .selectFrom('webhook_dead_letters')
    .select(['sequence', 'event_id', 'attempts', 'last_error', 'dead_at'])
    .where('tenant_id', '=', key.tenantId)
    .where('webhook_id', '=', key.id)
    .orderBy('sequence', 'desc')
    .limit(limit)
    .execute();
}

/** Endpoints with undelivered events that nobody is delivering and that are not backing off: the sweep's work. */
export async function webhooksBehind(db: Executor): Promise<WebhookKey[]> {
  const { rows } = await sql<{ tenant_id: string; id: string }>`
    select w.tenant_id, w.id from webhooks w
    join tenant_event_counters c on c.tenant_id = w.tenant_id
    where c.last_sequence > w.delivered_sequence
      and (w.lease_until is null or w.lease_until < now())
      and (w.next_attempt_at is null or w.next_attempt_at <= now())`.execute(db);
  return rows.map((row) => ({ tenantId: row.tenant_id, id: row.id }));
}

/** Across all tenants, for the worker's metrics (no per-tenant figures: those are the inventory's). */
export async function deliveryLag(db: Executor): Promise<{
  endpointsBehind: number;
  maxLag: number;
  totalLag: number;
  failuresPending: number;
  oldestPendingFailureSeconds: number;
}> {
  const { rows } = await sql<{
    endpoints_behind: number;
    max_lag: string | null;
    total_lag: string | null;
    failures_pending: number;
    oldest_failure_s: number | null;
  }>`
    select count(*) filter (where c.last_sequence > w.delivered_sequence)::int as endpoints_behind,
      max(c.last_sequence - w.delivered_sequence) as max_lag,
      sum(c.last_sequence - w.delivered_sequence) as total_lag,
      (select count(*)::int from outbox where kind = 'failure' and relayed_at is null) as failures_pending,
      (select extract(epoch from now() - min(created_at))::float8 from outbox
        where kind = 'failure' and relayed_at is null) as oldest_failure_s
    from webhooks w join tenant_event_counters c on c.tenant_id = w.tenant_id`.execute(db);
  const row = rows[0];
  return {
    endpointsBehind: row?.endpoints_behind ?? 0,
    maxLag: Number(row?.max_lag ?? 0),
    totalLag: Number(row?.total_lag ?? 0),
    failuresPending: row?.failures_pending ?? 0,
    oldestPendingFailureSeconds: row?.oldest_failure_s ?? 0,
  };
}
