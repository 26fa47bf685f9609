import type { Request, Response } from 'express';
import { sql, type Transaction } from 'kysely';
import {
  compileFilter,
  decodeCursor,
  encodeCursor,
  findResource,
  GroupSql,
  isUuid,
  queryFingerprint,
  resourceColumns,
  searchRows,
  sortSpec,
  toStored,
  USER_GROUPS_COLUMN,
  UserSql,
  type Database,
  type Db,
  type PageRequest,
  type ResourceRow,
  type SearchPage,
} from '@scimflow/db';
import {
  GroupResource,
  ifMatchSatisfied,
  parseProjection,
  projects,
  ScimError,
  Urn,
  UserResource,
  type ListHeader,
  type ResourceType,
  type SearchRequest,
} from '@scimflow/scim';
import { sendScim, setVersionHeaders, startScimStream } from '../http/scim-response';
import { renderOne, StreamingBody, writeGroup, writeGroupList, type RenderContext } from './render';

export interface ReadDeps {
  readonly db: Db;
  /** The tenant's SCIM base URL. */
  readonly base: string;
  readonly tenantId: string;
}

/** Groups are read in one snapshot, so a member list streamed over many queries is consistent. */
function snapshot<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
}

/** GET /Users, GET /Groups, POST /…/.search. */
export async function search(
  deps: ReadDeps,
  res: Response,
  resource: ResourceType,
  request: SearchRequest,
): Promise<void> {
  const mapping = resource.name === 'User' ? UserSql : GroupSql;
  const where = request.filter ? compileFilter(mapping, request.filter) : undefined;
  const sort = sortSpec(mapping, request.sortBy, request.sortOrder);
  const ctx: RenderContext = {
    base: deps.base,
    projection: parseProjection(resource, request.attributes, request.excludedAttributes),
  };
  const fingerprint = queryFingerprint([
    resource.name,
    request.filter ?? null,
    request.sortBy ?? null,
    request.sortOrder,
  ]);
  const spec = {
    tenantId: deps.tenantId,
    ...(where ? { where } : {}),
    ...(sort ? { sort } : {}),
    page: pageOf(request, fingerprint),
  };
  if (resource.name === 'User') {
    const columns = projects(UserResource, ctx.projection, 'groups')
      ? sql`${resourceColumns('users')}, ${USER_GROUPS_COLUMN}`
      : resourceColumns('users');
    const page = await searchRows<ResourceRow>(deps.db, UserSql, columns, spec);
    const resources = page.rows.map((row) => renderOne(UserResource, toStored(row), ctx));
    sendScim(res, 200, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      ...headerOf(page, request, fingerprint),
      Resources: resources,
    });
    return;
  }
  await snapshot(deps.db, async (trx) => {
    const page = await searchRows<ResourceRow>(trx, GroupSql, resourceColumns('groups'), spec);
    startScimStream(res, 200);
    await writeGroupList(
      new StreamingBody(res),
      trx,
      deps.tenantId,
      page.rows.map(toStored),
      headerOf(page, request, fingerprint),
      ctx,
    );
    res.end();
  });
}

function pageOf(request: SearchRequest, fingerprint: string): PageRequest {
  if (request.cursor === undefined)
    return { mode: 'index', offset: (request.startIndex ?? 1) - 1, limit: request.count };
  const after = decodeCursor(request.cursor, fingerprint);
  return { mode: 'cursor', limit: request.count, ...(after ? { after } : {}) };
}

/** Index paging reports startIndex; cursor paging (RFC 9865) nextCursor, absent on the last page. */
function headerOf(page: SearchPage<unknown>, request: SearchRequest, fingerprint: string): ListHeader {
  const header = { totalResults: page.total, itemsPerPage: page.rows.length };
  if (request.cursor === undefined) return { ...header, startIndex: request.startIndex ?? 1 };
  return page.next ? { ...header, nextCursor: encodeCursor(page.next, fingerprint) } : header;
}

/** GET /Users/{id}, GET /Groups/{id}, with If-None-Match (RFC 7644 §3.14) and projection. */
export async function readOne(
  deps: ReadDeps,
  req: Request,
  res: Response,
  resource: ResourceType,
  id: string,
  request: SearchRequest,
): Promise<void> {
  const ctx: RenderContext = {
    base: deps.base,
    projection: parseProjection(resource, request.attributes, request.excludedAttributes),
  };
  const notFound = () => ScimError.notFound(`${resource.name} ${id} not found`);
  const key = { tenantId: deps.tenantId, id };
  const unchanged = (version: number) => {
    const header = req.get('if-none-match');
    return header !== undefined && ifMatchSatisfied(header, version);
  };
  if (!isUuid(id)) throw notFound();
  if (resource.name === 'User') {
    const user = await findResource(deps.db, 'users', key, projects(UserResource, ctx.projection, 'groups'));
    if (!user) throw notFound();
    setVersionHeaders(res, user);
    if (unchanged(user.version)) return void res.status(304).end();
    return sendScim(res, 200, renderOne(UserResource, user, ctx));
  }
  await snapshot(deps.db, async (trx) => {
    const group = await findResource(trx, 'groups', key);
    if (!group) throw notFound();
    setVersionHeaders(res, group);
    if (unchanged(group.version)) return void res.status(304).end();
    startScimStream(res, 200);
    await writeGroup(new StreamingBody(res), trx, deps.tenantId, group, ctx);
    res.end();
  });
}

/**
 * POST /.search (RFC 7644 §3.4.3): users then groups, each in id order. A filter naming an
 * attribute only one type has finds nothing of the other type (an error only if it fits neither).
 * Cursor positions name the type they stopped in.
 */
export async function searchAll(deps: ReadDeps, res: Response, request: SearchRequest): Promise<void> {
  if (request.sortBy)
    throw ScimError.badRequest(
      'invalidValue',
      'sortBy is not supported across resource types; search /Users or /Groups to sort',
    );
  const kinds: {
    resource: ResourceType;
    mapping: typeof UserSql;
    columns: ReturnType<typeof resourceColumns>;
    where?: ReturnType<typeof compileFilter>;
  }[] = [];
  let refused: ScimError | undefined;
  for (const kind of [
    { resource: UserResource, mapping: UserSql, columns: sql`${resourceColumns('users')}, ${USER_GROUPS_COLUMN}` },
    { resource: GroupResource, mapping: GroupSql, columns: resourceColumns('groups') },
  ]) {
    try {
      kinds.push(request.filter ? { ...kind, where: compileFilter(kind.mapping, request.filter) } : kind);
    } catch (error) {
      if (!(error instanceof ScimError) || error.scimType !== 'invalidFilter') throw error;
      refused ??= error;
    }
  }
  if (kinds.length === 0 && refused) throw refused;
  const fingerprint = queryFingerprint(['all', request.filter ?? null]);
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, fingerprint);
  const startAt = after
    ? Math.max(
        0,
        kinds.findIndex((kind) => kind.resource.name === after.key),
      )
    : 0;

  await snapshot(deps.db, async (trx) => {
    const scope = (kind: (typeof kinds)[number]) => ({
      tenantId: deps.tenantId,
      ...(kind.where ? { where: kind.where } : {}),
    });
    const totals = await Promise.all(
      kinds.map(
        async (kind) =>
          (
            await searchRows(trx, kind.mapping, kind.columns, {
              ...scope(kind),
              page: { mode: 'index', offset: 0, limit: 0 },
            })
          ).total,
      ),
    );
    const found: { resource: ResourceType; rows: ResourceRow[] }[] = [];
    let skip = (request.startIndex ?? 1) - 1;
    let room = request.count;
    let remaining = false;
    for (const [index, kind] of kinds.entries()) {
      if (request.cursor !== undefined && index < startAt) continue;
      if (room === 0) {
        remaining ||= (totals[index] ?? 0) > 0;
        continue;
      }
      const page: PageRequest =
        request.cursor === undefined
          ? { mode: 'index', offset: skip, limit: room }
          : {
              mode: 'cursor',
              limit: room,
              ...(after && index === startAt ? { after: { key: null, id: after.id } } : {}),
            };
      const result = await searchRows<ResourceRow>(trx, kind.mapping, kind.columns, { ...scope(kind), page });
      found.push({ resource: kind.resource, rows: result.rows });
      skip = Math.max(0, skip - (totals[index] ?? 0));
      room -= result.rows.length;
      remaining ||= result.next !== undefined;
    }
    const total = totals.reduce((sum, count) => sum + count, 0);
    const lastFound = [...found].reverse().find((part) => part.rows.length > 0);
    const lastRow = lastFound?.rows[lastFound.rows.length - 1];
    const header: ListHeader =
      request.cursor === undefined
        ? { totalResults: total, itemsPerPage: request.count - room, startIndex: request.startIndex ?? 1 }
        : {
            totalResults: total,
            itemsPerPage: request.count - room,
            ...(remaining && lastFound && lastRow
              ? { nextCursor: encodeCursor({ key: lastFound.resource.name, id: lastRow.id }, fingerprint) }
              : {}),
          };
    const out = new StreamingBody(res);
    startScimStream(res, 200);
    const head = JSON.stringify({ schemas: [Urn.ListResponse], ...header });
    await out.write(`${head.slice(0, -1)},"Resources":[`);
    let first = true;
    for (const { resource, rows } of found) {
      const ctx: RenderContext = {
        base: deps.base,
        projection: parseProjection(resource, request.attributes, request.excludedAttributes),
      };
      for (const row of rows) {
        await out.write(first ? '' : ',');
        first = false;
        if (resource.name === 'User') await out.write(JSON.stringify(renderOne(resource, toStored(row), ctx)));
        else await writeGroup(out, trx, deps.tenantId, toStored(row), ctx);
      }
    }
    await out.write(']}');
    res.end();
  });
}
