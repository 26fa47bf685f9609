import type { Response } from 'express';
import { memberSlice, type Executor, type MemberRow } from '@scimflow/db';
import {
  applyProjection,
  elementProjection,
  GroupResource,
  projects,
  renderResource,
  Urn,
  type JsonObject,
  type ListHeader,
  type Projection,
  type ResourceType,
  type StoredResource,
} from '@scimflow/scim';

export interface RenderContext {
  /** The tenant's SCIM base URL. */
  readonly base: string;
  readonly projection: Projection;
}

export function renderOne(resource: ResourceType, stored: StoredResource, ctx: RenderContext): JsonObject {
  return applyProjection(resource, renderResource(resource, stored, ctx.base), ctx.projection);
}

/** Members per query and per write: bounds memory whatever the group's size. */
const MEMBER_SLICE = 5_000;
// Stands for the members array while the rest of the group is serialised; a NUL can't occur in stored text.
const MEMBERS_MARK = JSON.stringify('\u0000members\u0000');

/** The client went away mid-stream; the work for it stops (and its snapshot transaction ends). */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * Writes to a response, waiting for the socket to drain when the client reads slower than we
 * write. A client that disconnects ends the wait with ClientGoneError: waiting for a 'drain' that
 * never comes would hold the request's database connection forever.
 */
export class StreamingBody {
  constructor(private readonly res: Response) {}

  async write(chunk: string): Promise<void> {
    if (this.res.destroyed) throw new ClientGoneError();
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new ClientGoneError());
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
      if (this.res.destroyed) onClose();
    });
  }
}

/**
 * A group as JSON, its members streamed slice by slice from the database. With
 * `excludedAttributes=members` no member row is even read.
 */
export async function writeGroup(
  out: StreamingBody,
  db: Executor,
  tenantId: string,
  group: StoredResource,
  ctx: RenderContext,
): Promise<void> {
  const body = renderOne(GroupResource, group, ctx);
  if (!projects(GroupResource, ctx.projection, 'members')) return out.write(JSON.stringify(body));
  let slice = await memberSlice(db, tenantId, group.id, undefined, MEMBER_SLICE);
  if (slice.length === 0) return out.write(JSON.stringify(body));
  const { meta, ...head } = body;
  const json = JSON.stringify({ ...head, members: '\u0000members\u0000', ...(meta === undefined ? {} : { meta }) });
  const at = json.indexOf(MEMBERS_MARK);
  await out.write(`${json.slice(0, at)}[`);
  const member = memberJson(ctx);
  for (let first = true; slice.length > 0; first = false) {
    await out.write(`${first ? '' : ','}${slice.map((row) => JSON.stringify(member(row))).join(',')}`);
    if (slice.length < MEMBER_SLICE) break;
    slice = await memberSlice(db, tenantId, group.id, slice[slice.length - 1]?.id, MEMBER_SLICE);
  }
  await out.write(`]${json.slice(at + MEMBERS_MARK.length)}`);
}

function memberJson(ctx: RenderContext): (row: MemberRow) => JsonObject {
  const keep = elementProjection(ctx.projection, 'members');
  return (row) => {
    const member: JsonObject = {
      value: row.id,
      $ref: `${ctx.base}/${row.type === 'User' ? 'Users' : 'Groups'}/${row.id}`,
      type: row.type,
    };
    if (row.display !== null) member.display = row.display;
    return keep ? Object.fromEntries(Object.entries(member).filter(([key]) => keep(key))) : member;
  };
}

/** A ListResponse of groups, each streamed as above. */
export async function writeGroupList(
  out: StreamingBody,
  db: Executor,
  tenantId: string,
  groups: readonly StoredResource[],
  header: ListHeader,
  ctx: RenderContext,
): Promise<void> {
  const head = JSON.stringify({ schemas: [Urn.ListResponse], ...header });
  await out.write(`${head.slice(0, -1)},"Resources":[`);
  for (const [index, group] of groups.entries()) {
    if (index > 0) await out.write(',');
    await writeGroup(out, db, tenantId, group, ctx);
  }
  await out.write(']}');
}
