import { sql, type Kysely } from 'kysely';
import type { JsonObject } from '@scimflow/scim';
import type { Database, Executor } from '../database';

/** Postgres channel that carries a tenant id whenever its SCIM token changes. */
export const TENANT_AUTH_CHANNEL = 'scimflow_tenant_auth';
/** Postgres channel that carries a tenant id whenever its settings change (workers cache profiles). */
export const TENANT_SETTINGS_CHANNEL = 'scimflow_tenant_settings';

export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  readonly settings: JsonObject;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly tokenRotatedAt: Date;
  readonly disabledAt: Date | null;
  readonly tokenLastUsedAt: Date | null;
  /** While a rotation's grace period runs: when the previous token stops working. */
  readonly previousTokenExpiresAt: Date | null;
}

const columns = [
  'id',
  'name',
  'settings',
  'created_at',
  'updated_at',
  'token_rotated_at',
  'disabled_at',
  'token_last_used_at',
  'previous_token_expires_at',
] as const;

function toRecord(row: {
  id: string;
  name: string;
  settings: JsonObject;
  created_at: Date;
  updated_at: Date;
  token_rotated_at: Date;
  disabled_at: Date | null;
  token_last_used_at: Date | null;
  previous_token_expires_at: Date | null;
}): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    settings: row.settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tokenRotatedAt: row.token_rotated_at,
    disabledAt: row.disabled_at,
    tokenLastUsedAt: row.token_last_used_at,
    previousTokenExpiresAt: row.previous_token_expires_at,
  };
}

/** What authenticating a SCIM request needs: the token hashes that are valid, and whether it is disabled. */
export interface TenantCredentials {
  readonly tokenHash: Buffer;
  /** The token before the last rotation, while its grace period runs. */
  readonly previous?: { readonly tokenHash: Buffer; readonly expiresAt: Date };
  readonly disabled: boolean;
}

export async function insertTenant(
  db: Executor,
  tenant: { id: string; name: string; tokenHash: Buffer },
): Promise<TenantRecord> {
  const row = await db
    .insertInto('tenants')
    .values({ id: tenant.id, name: tenant.name, token_hash: tenant.tokenHash })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export async function findTenant(db: Executor, id: string): Promise<TenantRecord | undefined> {
  const row = await db.selectFrom('tenants').select(columns).where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

export async function findTenantCredentials(db: Executor, id: string): Promise<TenantCredentials | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select(['token_hash', 'previous_token_hash', 'previous_token_expires_at', 'disabled_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { previous_token_hash: previousHash, previous_token_expires_at: expiresAt } = row;
  return {
    tokenHash: row.token_hash,
    ...(previousHash && expiresAt && expiresAt > new Date()
      ? { previous: { tokenHash: previousHash, expiresAt } }
      : {}),
    disabled: row.disabled_at !== null,
  };
}

/** Notes that the tenant's token was used, at most once a minute (callers also throttle per process). */
export async function touchTenantToken(db: Executor, id: string): Promise<void> {
  await sql`
    update tenants set token_last_used_at = now()
    where id = ${id} and (token_last_used_at is null or token_last_used_at < now() - interval '1 minute')`.execute(db);
}

/** Disables (SCIM answers 403) or enables a tenant; every ingress drops its cached credentials on commit. */
export async function setTenantDisabled(db: Kysely<Database>, id: string, disabled: boolean): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('tenants')
      .set({ disabled_at: disabled ? sql<Date>`coalesce(disabled_at, now())` : null, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await sql`select pg_notify(${TENANT_AUTH_CHANNEL}, ${id})`.execute(trx);
    return true;
  });
}

/** Deletes a tenant and, by the foreign keys' cascades, all of its data; its token stops working on commit. */
export async function deleteTenant(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await sql`select pg_notify(${TENANT_AUTH_CHANNEL}, ${id})`.execute(trx);
    return true;
  });
}

/** Each tenant's stored settings (jsonb), read inside the transaction that applies its commands. */
export async function findTenantSettings(db: Executor, ids: readonly string[]): Promise<Map<string, JsonObject>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('tenants')
    .select(['id', 'settings'])
    .where(sql<boolean>`id = any(${ids}::uuid[])`)
    .execute();
  return new Map(rows.map((row) => [row.id, row.settings]));
}

export async function updateTenant(
  db: Kysely<Database>,
  id: string,
  changes: { name?: string; settings?: JsonObject },
): Promise<TenantRecord | undefined> {
  const set: { name?: string; settings?: string; updated_at: ReturnType<typeof sql<Date>> } = {
    updated_at: sql<Date>`now()`,
  };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.settings !== undefined) set.settings = JSON.stringify(changes.settings);
  const update = async (trx: Executor) => {
    const row = await trx.updateTable('tenants').set(set).where('id', '=', id).returning(columns).executeTakeFirst();
    // Delivered on commit: every worker drops its cached profile of this tenant.
    if (row && changes.settings !== undefined)
      await sql`select pg_notify(${TENANT_SETTINGS_CHANNEL}, ${id})`.execute(trx);
    return row && toRecord(row);
  };
  return db.transaction().execute(update);
}

/**
 * Swaps the token hash and tells every ingress (NOTIFY is delivered on commit) to drop its cached
 * copy. With a grace period the token being replaced keeps working that long; without one it
 * stops at once (and any earlier grace ends too).
 */
export async function replaceTenantTokenHash(
  db: Kysely<Database>,
  id: string,
  tokenHash: Buffer,
  graceSeconds = 0,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('tenants')
      .set({
        token_hash: tokenHash,
        previous_token_hash: graceSeconds > 0 ? sql<Buffer>`token_hash` : null,
        previous_token_expires_at: graceSeconds > 0 ? sql<Date>`now() + make_interval(secs => ${graceSeconds})` : null,
        token_rotated_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await sql`select pg_notify(${TENANT_AUTH_CHANNEL}, ${id})`.execute(trx);
    return true;
  });
}
