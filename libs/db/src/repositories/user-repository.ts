import { sql, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import type { ScimDocument, StoredResource } from '@scimflow/scim';
import type { Database } from '../database';

type Executor = Kysely<Database> | Transaction<Database>;
/** A condition on `users` columns, as compiled from a SCIM filter. */
export type UserCondition = RawBuilder<SqlBool>;

export interface ResourceKey {
  readonly tenantId: string;
  readonly id: string;
}

const columns = ['id', 'data', 'version', 'created_at', 'updated_at'] as const;

function toStored(row: UserRow): StoredResource {
  return { id: row.id, data: row.data, version: row.version, created: row.created_at.toISOString(), lastModified: row.updated_at.toISOString() };
}

type UserRow = { id: string; data: ScimDocument; version: number; created_at: Date; updated_at: Date };

// The two reads every SCIM client hammers are written with the `sql` template rather than the
// query builder: building a query costs ~14 µs, a template ~1.5 µs (tests/bench shows it).

export async function findUser(db: Executor, tenantId: string, id: string): Promise<StoredResource | undefined> {
  const { rows } = await sql<UserRow>`select id, data, version, created_at, updated_at from users where tenant_id = ${tenantId} and id = ${id}`.execute(db);
  const row = rows[0];
  return row && toStored(row);
}

export interface Page {
  readonly offset: number;
  readonly limit: number;
}

/**
 * A page of users and the total. An IdP lookup (`userName eq ...`, page one) returns fewer rows
 * than the page holds, which is then the total: one query. Only a full or later page costs a count.
 */
export async function listUsers(db: Executor, tenantId: string, where: UserCondition | undefined, page: Page): Promise<{ resources: StoredResource[]; total: number }> {
  const condition = where ? sql`tenant_id = ${tenantId} and ${where}` : sql`tenant_id = ${tenantId}`;
  let resources: StoredResource[] = [];
  if (page.limit > 0) {
    // uuidv7 ids grow with time, so ordering by id is stable and follows creation order.
    const { rows } = await sql<UserRow>`
      select id, data, version, created_at, updated_at from users
      where ${condition} order by id limit ${page.limit} offset ${page.offset}`.execute(db);
    resources = rows.map(toStored);
    if (page.offset === 0 && rows.length < page.limit) return { resources, total: rows.length };
  }
  const { rows } = await sql<{ total: string }>`select count(*) as total from users where ${condition}`.execute(db);
  return { resources, total: Number(rows[0]?.total ?? 0) };
}

export interface NewUser extends ResourceKey {
  readonly data: ScimDocument;
}

/**
 * Inserts many users in one statement. A row whose userName is taken (or already exists) is
 * skipped rather than failing the batch; callers find the skipped ones missing from the result.
 */
export async function insertUsers(trx: Executor, users: readonly NewUser[]): Promise<Map<string, StoredResource>> {
  if (users.length === 0) return new Map();
  const rows = await trx
    .insertInto('users')
    .values(users.map((user) => ({ tenant_id: user.tenantId, id: user.id, data: JSON.stringify(user.data) })))
    .onConflict((oc) => oc.doNothing())
    .returning(['tenant_id', ...columns])
    .execute();
  return new Map(rows.map((row) => [keyOf(row.tenant_id, row.id), toStored(row)]));
}

/** Locks the rows in (tenant, id) order, so two batches locking overlapping users can't deadlock. */
export async function lockUsers(trx: Transaction<Database>, keys: readonly ResourceKey[]): Promise<Map<string, StoredResource>> {
  if (keys.length === 0) return new Map();
  const rows = await trx
    .selectFrom('users')
    .select(['tenant_id', ...columns])
    .where(
      (eb) => eb.refTuple('tenant_id', 'id'),
      'in',
      sql<[string, string]>`(select * from unnest(${keys.map((k) => k.tenantId)}::uuid[], ${keys.map((k) => k.id)}::uuid[]))`,
    )
    .orderBy('tenant_id')
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((row) => [keyOf(row.tenant_id, row.id), toStored(row)]));
}

export async function updateUserData(trx: Executor, key: ResourceKey, data: ScimDocument): Promise<StoredResource> {
  const row = await trx
    .updateTable('users')
    .set({ data: JSON.stringify(data), version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('tenant_id', '=', key.tenantId)
    .where('id', '=', key.id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toStored(row);
}

export async function deleteUser(trx: Executor, key: ResourceKey): Promise<boolean> {
  const result = await trx.deleteFrom('users').where('tenant_id', '=', key.tenantId).where('id', '=', key.id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function isUserNameTaken(trx: Executor, tenantId: string, userName: string, exceptId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(user_name)`, '=', sql`lower(${userName})`)
    .where('id', '<>', exceptId)
    .executeTakeFirst();
  return row !== undefined;
}

export function keyOf(tenantId: string, id: string): string {
  return `${tenantId}/${id}`;
}
