import type { Request, Response, Router } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { compileUserFilter, findUser, isUuid, listUsers, type Db } from '@scimflow/db';
import type { CommandOutcome } from '@scimflow/jobs';
import {
  compilePatch,
  listResponse,
  normalizeResource,
  parseFilter,
  parsePatchRequest,
  renderResource,
  ScimError,
  UserResource,
  type StoredResource,
} from '@scimflow/scim';
import type { CommandBus } from '../command-bus';
import { scimBaseUrl } from '../admin/tenant-admin';
import { sendScim, setVersionHeaders } from '../http/scim-response';
import { tenantIdOf } from './tenant-auth';

const DEFAULT_COUNT = 100;
/** Advertised as filter.maxResults; larger counts are capped (RFC 7644 §3.4.2.4). */
export const MAX_COUNT = 1000;

export interface UsersRouterDeps {
  readonly db: Db;
  readonly bus: CommandBus;
  readonly publicUrl: string;
}

/** Registers the /Users endpoints on a router that has already authenticated the tenant. */
export function registerUserRoutes(router: Router, prefix: string, deps: UsersRouterDeps): void {
  const base = (res: Response) => scimBaseUrl(deps.publicUrl, tenantIdOf(res));
  const render = (res: Response, resource: StoredResource) => renderResource(UserResource, resource, base(res));

  /** Answers with what the worker did: the resource and its version, or its SCIM error. */
  function reply(res: Response, outcome: CommandOutcome): void {
    if (!outcome.ok) throw ScimError.fromData(outcome.error);
    if (outcome.status === 204 || !outcome.resource) {
      res.status(204).end();
      return;
    }
    const body = render(res, outcome.resource);
    setVersionHeaders(res, outcome.resource);
    if (outcome.status === 201) res.setHeader('Location', `${base(res)}/Users/${outcome.resource.id}`);
    sendScim(res, outcome.status, body);
  }

  router.get(`${prefix}/Users`, async (req, res) => {
    const filter = queryParam(req, 'filter');
    const where = filter === undefined ? undefined : compileUserFilter(parseFilter(filter));
    // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0.
    const startIndex = Math.max(1, integerParam(req, 'startIndex') ?? 1);
    const count = Math.min(MAX_COUNT, Math.max(0, integerParam(req, 'count') ?? DEFAULT_COUNT));
    const { resources, total } = await listUsers(deps.db, tenantIdOf(res), where, { offset: startIndex - 1, limit: count });
    sendScim(res, 200, listResponse(resources.map((resource) => render(res, resource)), total, startIndex));
  });

  router.get(`${prefix}/Users/:id`, async (req, res) => {
    const user = isUuid(req.params.id) ? await findUser(deps.db, tenantIdOf(res), req.params.id) : undefined;
    if (!user) throw ScimError.notFound(`User ${req.params.id} not found`);
    setVersionHeaders(res, user);
    sendScim(res, 200, render(res, user));
  });

  router.post(`${prefix}/Users`, async (req, res) => {
    const data = normalizeResource(UserResource, requireBody(req));
    reply(res, await deps.bus.send('user.create', tenantIdOf(res), { userId: uuidv7(), data }));
  });

  router.put(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id);
    const data = normalizeResource(UserResource, requireBody(req));
    reply(res, await deps.bus.send('user.replace', tenantIdOf(res), { userId, data, ...ifMatch(req) }));
  });

  router.patch(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id);
    const operations = parsePatchRequest(requireBody(req));
    // Compiled here only to reject bad paths and values with a 400 before anything is queued.
    compilePatch(UserResource, operations);
    reply(res, await deps.bus.send('user.patch', tenantIdOf(res), { userId, operations, ...ifMatch(req) }));
  });

  router.delete(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id);
    reply(res, await deps.bus.send('user.delete', tenantIdOf(res), { userId, ...ifMatch(req) }));
  });
}

/** Non-uuid ids can't exist: 404 without a round trip (Okta's suite probes with `010101...`). */
function existingId(id: string): string {
  if (!isUuid(id)) throw ScimError.notFound(`User ${id} not found`);
  return id;
}

function ifMatch(req: Request): { ifMatch?: string } {
  const header = req.get('if-match');
  return header === undefined ? {} : { ifMatch: header };
}

function requireBody(req: Request): unknown {
  if (req.body !== undefined) return req.body;
  if (req.get('content-type') && !req.is(['application/json', 'application/scim+json', 'application/*+json'])) {
    throw new ScimError(415, 'Send the body as application/scim+json or application/json');
  }
  throw ScimError.badRequest('invalidSyntax', 'The request needs a JSON body');
}

export function queryParam(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw ScimError.badRequest('invalidValue', `Query parameter '${name}' must be given once`);
  return value;
}

function integerParam(req: Request, name: string): number | undefined {
  const value = queryParam(req, name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d{1,15}$/.test(value.trim())) throw ScimError.badRequest('invalidValue', `Query parameter '${name}' must be an integer`);
  return Number(value);
}
