import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../database';
import type { Position } from './cursor';
import type { Condition } from './filter-sql';
import type { ResourceSql } from './resource-sql';
import type { SortSpec } from './sort-sql';

export type PageRequest =
  | { readonly mode: 'index'; readonly offset: number; readonly limit: number }
  /** Keyset paging (RFC 9865): rows after `after`, or from the start. */
  | { readonly mode: 'cursor'; readonly after?: Position; readonly limit: number };

export interface SearchSpec {
  readonly tenantId: string;
  readonly where?: Condition;
  readonly sort?: SortSpec;
  readonly page: PageRequest;
}

export interface SearchPage<Row> {
  readonly rows: Row[];
  readonly total: number;
  /** Set when a cursor page has more rows after it. */
  readonly next?: Position;
}

/**
 * One page of a resource table in a stable order (the sort key, then id; uuidv7 ids follow
 * creation time) and the total. Page one with fewer rows than asked holds the whole result, so
 * IdP lookups cost a single query; other pages add a count.
 */
export async function searchRows<Row extends { id: string }>(
  db: Executor,
  mapping: ResourceSql,
  columns: RawBuilder<unknown>,
  spec: SearchSpec,
): Promise<SearchPage<Row>> {
  const { table } = mapping;
  const scope = spec.where
    ? sql<SqlBool>`${table}.tenant_id = ${spec.tenantId} and ${spec.where}`
    : sql<SqlBool>`${table}.tenant_id = ${spec.tenantId}`;
  const { page, sort } = spec;
  let rows: (Row & { scim_sort_key?: string | null })[] = [];
  let next: Position | undefined;
  if (page.limit > 0) {
    const keyset =
      page.mode === 'cursor' && page.after ? sql<SqlBool>` and ${afterPosition(table, sort, page.after)}` : sql``;
    const sortKey = sort ? sql`, (${sort.key})::text as scim_sort_key` : sql``;
    const direction = sql.raw(sort?.descending ? 'desc' : 'asc');
    const order = sort ? sql`${sort.key} ${direction}, ${table}.id ${direction}` : sql`${table}.id`;
    // A cursor page reads one row more than it returns, to know whether another page follows.
    const limit = page.mode === 'cursor' ? page.limit + 1 : page.limit;
    const offset = page.mode === 'index' ? sql` offset ${page.offset}` : sql``;
    const result = await sql<Row & { scim_sort_key?: string | null }>`
      select ${columns}${sortKey} from ${table}
      where ${scope}${keyset} order by ${order} limit ${limit}${offset}`.execute(db);
    rows = result.rows;
    if (page.mode === 'cursor' && rows.length > page.limit) {
      rows = rows.slice(0, page.limit);
      const last = rows.at(-1);
      if (last) next = { key: sort ? (last.scim_sort_key ?? null) : null, id: last.id };
    }
    const first = page.mode === 'index' ? page.offset === 0 : page.after === undefined;
    if (first && rows.length < page.limit) return { rows, total: rows.length };
  }
  const count = await sql<{ total: string }>`select count(*) as total from ${table} where ${scope}`.execute(db);
  return { rows, total: Number(count.rows[0]?.total ?? 0), ...(next ? { next } : {}) };
}

/** Rows strictly after a position in (sort key, id) order, with NULL keys last ascending and first descending. */
function afterPosition(table: RawBuilder<unknown>, sort: SortSpec | undefined, after: Position): Condition {
  const id = sql`${table}.id`;
  if (!sort) return sql<SqlBool>`${id} > ${after.id}::uuid`;
  const key = sort.key;
  const saved = sql`${after.key}::${sql.raw(sort.type)}`;
  if (!sort.descending) {
    return after.key === null
      ? sql<SqlBool>`(${key} is null and ${id} > ${after.id}::uuid)`
      : sql<SqlBool>`(${key} > ${saved} or (${key} = ${saved} and ${id} > ${after.id}::uuid) or ${key} is null)`;
  }
  return after.key === null
    ? sql<SqlBool>`((${key} is null and ${id} < ${after.id}::uuid) or ${key} is not null)`
    : sql<SqlBool>`(${key} < ${saved} or (${key} = ${saved} and ${id} < ${after.id}::uuid))`;
}
