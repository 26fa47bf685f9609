import { sql } from 'kysely';
import type { ResourceType, StoredResource } from '@scimflow/scim';
import type { Db } from '../create-database';
import type { Executor, Trx } from '../database';
import { resourceColumns, toStored, USER_GROUPS_COLUMN, type ResourceRow } from '../repositories/resource-repository';
import { sqlFor } from './resource-sql';
import { searchRows, type SearchPage, type SearchSpec } from './search';

export interface ResourceSearch extends SearchSpec {
  /** Users only: select each user's groups along with it (one query instead of two). */
  readonly withGroups?: boolean;
}

/**
 * One page of a tenant's users or groups, as stored resources (GET /Users, /Groups, .search).
 * A group's members are not read here: they are streamed separately, in slices.
 */
export async function searchResources(
  db: Executor,
  resource: ResourceType,
  search: ResourceSearch,
): Promise<SearchPage<StoredResource>> {
  const mapping = sqlFor(resource);
  const table = resource.name === 'User' ? 'users' : 'groups';
  const columns =
    search.withGroups && table === 'users'
      ? sql`${resourceColumns(table)}, ${USER_GROUPS_COLUMN}`
      : resourceColumns(table);
  const page = await searchRows<ResourceRow>(db, mapping, columns, search);
  return { ...page, rows: page.rows.map(toStored) };
}

/** How many of a tenant's users or groups match, without reading any. */
export async function countResources(db: Executor, resource: ResourceType, search: Omit<SearchSpec, 'page'>) {
  const page = await searchRows(db, sqlFor(resource), resourceColumns(resource.name === 'User' ? 'users' : 'groups'), {
    ...search,
    page: { mode: 'index', offset: 0, limit: 0 },
  });
  return page.total;
}

/**
 * A read-only, repeatable-read transaction: a group's members streamed over many queries (or a
 * list spanning users and groups) come from one consistent snapshot.
 */
export function readSnapshot<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
}
