import type { Request, Response } from 'express';
import {
  compileFilter,
  countResources,
  decodeCursor,
  encodeCursor,
  findResource,
  isUuid,
  queryFingerprint,
  readSnapshot,
  searchResources,
  sortSpec,
  sqlFor,
  type Condition,
  type Db,
  type Executor,
  type PageRequest,
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
  type StoredResource,
} from '@scimflow/scim';
import { sendScim, setVersionHeaders, startScimStream } from '../http/scim-response';
import { renderOne, StreamingBody, writeGroup, writeGroupList, type RenderContext } from './render';
import type { ResourceLookups } from './resource-lookups';

export interface ReadDeps {
  readonly db: Db;
  /** The tenant's SCIM base URL. */
  readonly base: string;
  readonly tenantId: string;
  /** Batches the identity providers' lookups (`userName eq`, `displayName eq`, …); without it each is a search of its own. */
  readonly lookups?: ResourceLookups;
}

/**
 * A search request as the repository's search spec (built when asked: a lookup answered with
 * others' never needs its filter compiled), with how to render what it finds.
 */
function searchPlan(deps: ReadDeps, resource: ResourceType, request: SearchRequest) {
  const ctx: RenderContext = {
    base: deps.base,
    projection: parseProjection(resource, request.attributes, request.excludedAttributes),
  };
  // Only cursors (RFC 9865) carry the query's fingerprint: index paging doesn't pay for one.
  const fingerprint =
    request.cursor === undefined
      ? ''
      : queryFingerprint([resource.name, request.filter ?? null, request.sortBy ?? null, request.sortOrder]);
  const spec = () => {
    const mapping = sqlFor(resource);
    const where = request.filter ? compileFilter(mapping, request.filter) : undefined;
    const sort = sortSpec(mapping, request.sortBy, request.sortOrder);
    return {
      tenantId: deps.tenantId,
      ...(where ? { where } : {}),
      ...(sort ? { sort } : {}),
      page: pageOf(request, fingerprint),
    };
  };
  return { ctx, fingerprint, spec };
}

/**
 * One page of users or groups as data, groups without their members (the operator's CLI browses
 * with it; a 10,000-member group is read with GET /Groups/{id}, streamed).
 */
export async function searchPage(deps: ReadDeps, resource: ResourceType, request: SearchRequest) {
  const { ctx, fingerprint, spec } = searchPlan(deps, resource, request);
  const withGroups = resource.name === 'User' && projects(UserResource, ctx.projection, 'groups');
  const page =
    (await deps.lookups?.page(deps.tenantId, resource, request, withGroups)) ??
    (await searchResources(deps.db, resource, { ...spec(), withGroups }));
  return {
    schemas: [Urn.ListResponse],
    ...headerOf(page, request, fingerprint),
    Resources: page.rows.map((row) => renderOne(resource, row, ctx)),
  };
}

/** GET /Users, GET /Groups, POST /…/.search. Groups are read in one snapshot (their members stream over many queries). */
export async function search(
  deps: ReadDeps,
  res: Response,
  resource: ResourceType,
  request: SearchRequest,
): Promise<void> {
  if (resource.name === 'User') return sendScim(res, 200, await searchPage(deps, UserResource, request));
  const { ctx, fingerprint, spec } = searchPlan(deps, resource, request);
  // Entra's `excludedAttributes=members&filter=displayName eq "…"`: no members to read in one snapshot.
  const found = projects(GroupResource, ctx.projection, 'members')
    ? undefined
    : await deps.lookups?.page(deps.tenantId, GroupResource, request);
  if (found) {
    startScimStream(res, 200);
    const header = headerOf(found, request, fingerprint);
    await writeGroupList(new StreamingBody(res), deps.db, deps.tenantId, found.rows, header, ctx);
    return void res.end();
  }
  const searchSpec = spec();
  await readSnapshot(deps.db, async (trx) => {
    const page = await searchResources(trx, GroupResource, searchSpec);
    startScimStream(res, 200);
    await writeGroupList(
      new StreamingBody(res),
      trx,
      deps.tenantId,
      page.rows,
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
  await readSnapshot(deps.db, async (trx) => {
    const group = await findResource(trx, 'groups', key);
    if (!group) throw notFound();
    setVersionHeaders(res, group);
    if (unchanged(group.version)) return void res.status(304).end();
    startScimStream(res, 200);
    await writeGroup(new StreamingBody(res), trx, deps.tenantId, group, ctx);
    res.end();
  });
}

/** One resource type of a `/.search`, with the filter compiled for it. */
interface SearchKind {
  readonly resource: ResourceType;
  readonly where?: Condition;
  total: number;
}

/** What a `/.search` page holds of one resource type. */
interface FoundPart {
  readonly resource: ResourceType;
  readonly rows: readonly StoredResource[];
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
  const kinds = searchKinds(request.filter);
  const fingerprint = request.cursor === undefined ? '' : queryFingerprint(['all', request.filter ?? null]);
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, fingerprint);
  const startAt = after
    ? Math.max(
        0,
        kinds.findIndex((kind) => kind.resource.name === after.key),
      )
    : 0;

  await readSnapshot(deps.db, async (trx) => {
    const scope = (kind: SearchKind) => ({ tenantId: deps.tenantId, ...(kind.where ? { where: kind.where } : {}) });
    for (const kind of kinds) kind.total = await countResources(trx, kind.resource, scope(kind));
    const found: FoundPart[] = [];
    let skip = (request.startIndex ?? 1) - 1;
    let room = request.count;
    let remaining = false;
    for (const [index, kind] of kinds.entries()) {
      if (request.cursor !== undefined && index < startAt) continue;
      if (room === 0) {
        remaining ||= kind.total > 0;
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
      const result = await searchResources(trx, kind.resource, { ...scope(kind), page, withGroups: true });
      found.push({ resource: kind.resource, rows: result.rows });
      skip = Math.max(0, skip - kind.total);
      room -= result.rows.length;
      remaining ||= result.next !== undefined;
    }
    const header = listHeader(request, kinds, found, remaining, fingerprint);
    await writeMixedList(new StreamingBody(res), res, trx, deps, request, header, found);
  });
}

/** The kinds a filter can apply to; `400 invalidFilter` only when it fits neither. */
function searchKinds(filter: SearchRequest['filter']): SearchKind[] {
  const kinds: SearchKind[] = [];
  let refused: ScimError | undefined;
  for (const resource of [UserResource, GroupResource]) {
    try {
      kinds.push(
        filter ? { resource, where: compileFilter(sqlFor(resource), filter), total: 0 } : { resource, total: 0 },
      );
    } catch (error) {
      if (!(error instanceof ScimError) || error.scimType !== 'invalidFilter') throw error;
      refused ??= error;
    }
  }
  if (kinds.length === 0 && refused) throw refused;
  return kinds;
}

function listHeader(
  request: SearchRequest,
  kinds: readonly SearchKind[],
  found: readonly FoundPart[],
  remaining: boolean,
  fingerprint: string,
): ListHeader {
  const totalResults = kinds.reduce((sum, kind) => sum + kind.total, 0);
  const itemsPerPage = found.reduce((sum, part) => sum + part.rows.length, 0);
  if (request.cursor === undefined) return { totalResults, itemsPerPage, startIndex: request.startIndex ?? 1 };
  const lastFound = found.findLast((part) => part.rows.length > 0);
  const lastRow = lastFound?.rows.at(-1);
  return {
    totalResults,
    itemsPerPage,
    ...(remaining && lastFound && lastRow
      ? { nextCursor: encodeCursor({ key: lastFound.resource.name, id: lastRow.id }, fingerprint) }
      : {}),
  };
}

async function writeMixedList(
  out: StreamingBody,
  res: Response,
  trx: Executor,
  deps: ReadDeps,
  request: SearchRequest,
  header: ListHeader,
  found: readonly FoundPart[],
): Promise<void> {
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
      if (resource.name === 'User') await out.write(JSON.stringify(renderOne(resource, row, ctx)));
      else await writeGroup(out, trx, deps.tenantId, row, ctx);
    }
  }
  await out.write(']}');
  res.end();
}
