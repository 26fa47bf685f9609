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
}

const columns = ['id', 'name', 'settings', 'created_at', 'updated_at', 'token_rotated_at'] as const;

function toRecord(row: {
  id: string;
  name: string;
  settings: JsonObject;
  created_at: Date;
  updated_at: Date;
  token_rotated_at: Date;
}): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    settings: row.settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tokenRotatedAt: row.token_rotated_at,
  };
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

export async function findTenantTokenHash(db: Executor, id: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('tenants').select('token_hash').where('id', '=', id).executeTakeFirst();
  return row?.token_hash;
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

/** Swaps the token hash and tells every ingress (NOTIFY is delivered on commit) to drop its cached copy. */
export async function replaceTenantTokenHash(db: Kysely<Database>, id: string, tokenHash: Buffer): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('tenants')
      .set({ token_hash: tokenHash, token_rotated_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await sql`select pg_notify(${TENANT_AUTH_CHANNEL}, ${id})`.execute(trx);
    return true;
  });
}
