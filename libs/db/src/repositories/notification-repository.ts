import { sql, type Kysely } from 'kysely';
import type { FailureRecord } from '@scimflow/jobs';
import type { JsonObject } from '@scimflow/scim';
import type { Database, DigestStatus, Executor } from '../database';

export interface OpenDigest {
  readonly digestId: string;
  readonly dueAt: Date;
}

/**
 * Stores a failure once (its id is its outbox id) in the tenant's open digest, opening one due
 * `windowSeconds` from now if there is none: the first failure starts the window.
 */
export async function recordNotificationFailure(
  db: Kysely<Database>,
  failure: FailureRecord,
  newDigestId: string,
  windowSeconds: number,
): Promise<OpenDigest> {
  return db.transaction().execute(async (trx) => {
    await sql`
      insert into notification_digests (id, tenant_id, status, window_start, due_at)
      values (${newDigestId}, ${failure.tenantId}, 'open', now(), now() + make_interval(secs => ${windowSeconds}))
      on conflict (tenant_id) where status = 'open' do nothing`.execute(trx);
    const digest = await trx
      .selectFrom('notification_digests')
      .select(['id', 'due_at'])
      .where('tenant_id', '=', failure.tenantId)
      // A literal, so the generic plan can use notification_digests_open_key (see pendingFailures).
      .where('status', '=', sql.lit('open'))
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('notification_failures')
      .values({
        id: failure.id,
        tenant_id: failure.tenantId,
        digest_id: digest.id,
        at: new Date(failure.at),
        payload: JSON.stringify(failure),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return { digestId: digest.id, dueAt: digest.due_at };
  });
}

export interface DigestContent {
  readonly id: string;
  readonly tenantId: string;
  readonly tenantName: string;
  readonly settings: JsonObject;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly total: number;
  readonly byKind: readonly { readonly status: number; readonly scimType: string | null; readonly count: number }[];
  readonly first: readonly FailureRecord[];
}

/**
 * Closes the digest's window (later failures open the next one) and returns what the mail says.
 * Undefined when it was already sent or skipped. A closed, unsent digest is returned again (retry).
 */
export async function closeDigest(
  db: Kysely<Database>,
  digestId: string,
  listed: number,
): Promise<DigestContent | undefined> {
  return db.transaction().execute(async (trx) => {
    const digest = await trx
      .selectFrom('notification_digests')
      .innerJoin('tenants', 'tenants.id', 'notification_digests.tenant_id')
      .select([
        'notification_digests.id',
        'tenant_id',
        'status',
        'window_start',
        'due_at',
        'tenants.name',
        'tenants.settings',
      ])
      .where('notification_digests.id', '=', digestId)
      .forUpdate('notification_digests')
      .executeTakeFirst();
    if (!digest || digest.status === 'sent' || digest.status === 'skipped') return undefined;
    const { rows: kinds } = await sql<{ status: number; scim_type: string | null; count: number }>`
      select (payload->>'status')::int as status, payload->>'scimType' as scim_type, count(*)::int as count
      from notification_failures where digest_id = ${digestId} group by 1, 2 order by 3 desc, 1`.execute(trx);
    const first = await trx
      .selectFrom('notification_failures')
      .select('payload')
      .where('digest_id', '=', digestId)
      .orderBy('at')
      .orderBy('id')
      .limit(listed)
      .execute();
    const total = kinds.reduce((sum, kind) => sum + kind.count, 0);
    await trx
      .updateTable('notification_digests')
      .set({ status: 'closed', failure_count: total })
      .where('id', '=', digestId)
      .execute();
    return {
      id: digest.id,
      tenantId: digest.tenant_id,
      tenantName: digest.name,
      settings: digest.settings,
      windowStart: digest.window_start,
      windowEnd: digest.due_at,
      total,
      byKind: kinds.map((kind) => ({ status: kind.status, scimType: kind.scim_type, count: kind.count })),
      first: first.map((row) => row.payload),
    };
  });
}

export async function finishDigest(
  db: Executor,
  digestId: string,
  result: { status: Extract<DigestStatus, 'sent' | 'skipped'>; recipients?: string[]; messageId?: string },
): Promise<void> {
  await db
    .updateTable('notification_digests')
    .set({
      status: result.status,
      recipients: result.recipients ?? null,
      message_id: result.messageId ?? null,
      sent_at: result.status === 'sent' ? new Date() : null,
    })
    .where('id', '=', digestId)
    .execute();
}

export async function recordDigestAttemptFailed(db: Executor, digestId: string, error: string): Promise<void> {
  await sql`update notification_digests set attempts = attempts + 1, last_error = ${error.slice(0, 500)} where id = ${digestId}`.execute(
    db,
  );
}

/** Digests whose send job may have been lost (a crash between commit and enqueue): due a while ago, still unsent. */
export async function overdueDigests(db: Executor, graceMs: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from notification_digests
    where status in ('open', 'closed') and due_at < now() - make_interval(secs => ${graceMs / 1000})`.execute(db);
  return rows.map((row) => row.id);
}

export async function listDigests(db: Executor, tenantId: string, limit: number) {
  return db
    .selectFrom('notification_digests')
    .select([
      'id',
      'status',
      'window_start',
      'due_at',
      'failure_count',
      'recipients',
      'attempts',
      'last_error',
      'message_id',
      'sent_at',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('window_start', 'desc')
    .limit(limit)
    .execute();
}

/** Failure details are kept as long as the provisioning log keeps its lines. */
export async function pruneNotifications(db: Executor, before: Date): Promise<number> {
  const result =
    await sql`delete from notification_digests where status in ('sent', 'skipped') and due_at < ${before}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
