import type { Request, Response, Router } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { isUuid } from '@scimflow/db';
import type { CommandOutcome } from '@scimflow/jobs';
import {
  compilePatch,
  normalizeResource,
  parsePatchRequest,
  parseProjection,
  ScimError,
  searchFromBody,
  searchFromQuery,
  UserResource,
  type Projection,
} from '@scimflow/scim';
import { sendScim, setVersionHeaders } from '../http/scim-response';
import { answeredByWorker, senderOf } from '../http/response-locals';
import { readOne, search } from './resource-reads';
import { renderOne } from './render';
import { ifMatch, projectionRequest, readDeps, requireBody, type ScimDeps } from './scim-context';

/** Non-uuid ids can't exist: 404 without a round trip (Okta's suite probes with `010101...`). */
export function existingId(id: string, kind: string): string {
  if (!isUuid(id)) throw ScimError.notFound(`${kind} ${id} not found`);
  // Uuids compare case-insensitively (RFC 4122); the worker's keys are lowercase, as Postgres's.
  return id.toLowerCase();
}

/**
 * Everything about a write is checked before it is sent (path, query, body): once the worker
 * has applied it, nothing may turn the answer into an error.
 */
function projectionOf(req: Request): Projection {
  const request = projectionRequest(req);
  return parseProjection(UserResource, request.attributes, request.excludedAttributes);
}

export function registerUserRoutes(router: Router, prefix: string, deps: ScimDeps): void {
  /** Answers with what the worker did: the resource and its version, or its SCIM error. */
  function reply(res: Response, outcome: CommandOutcome, projection: Projection): void {
    if (!outcome.ok) {
      answeredByWorker(res);
      throw ScimError.fromData(outcome.error);
    }
    if (outcome.status === 204 || !outcome.resource) return void res.status(204).end();
    const { base } = readDeps(deps, res);
    setVersionHeaders(res, outcome.resource);
    if (outcome.status === 201) res.setHeader('Location', `${base}/Users/${outcome.resource.id}`);
    sendScim(res, outcome.status, renderOne(UserResource, outcome.resource, { base, projection }));
  }

  router.get(`${prefix}/Users`, (req, res) =>
    search(readDeps(deps, res), res, UserResource, searchFromQuery(req.query)),
  );
  router.post(`${prefix}/Users/.search`, (req, res) =>
    search(readDeps(deps, res), res, UserResource, searchFromBody(requireBody(req))),
  );
  router.get(`${prefix}/Users/:id`, (req, res) =>
    readOne(readDeps(deps, res), req, res, UserResource, req.params.id, projectionRequest(req)),
  );

  router.post(`${prefix}/Users`, async (req, res) => {
    const projection = projectionOf(req);
    const data = normalizeResource(UserResource, requireBody(req));
    const outcome = await deps.bus.send(senderOf(res), { name: 'user.create', data: { userId: uuidv7(), data } });
    reply(res, outcome, projection);
  });

  router.put(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id, 'User');
    const projection = projectionOf(req);
    const data = normalizeResource(UserResource, requireBody(req));
    const outcome = await deps.bus.send(senderOf(res), {
      name: 'user.replace',
      data: { userId, data, ...ifMatch(req) },
    });
    reply(res, outcome, projection);
  });

  router.patch(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id, 'User');
    const projection = projectionOf(req);
    const operations = parsePatchRequest(requireBody(req));
    // Compiled here only to reject bad paths and values with a 400 before anything is queued.
    compilePatch(UserResource, operations);
    const outcome = await deps.bus.send(senderOf(res), {
      name: 'user.patch',
      data: { userId, operations, ...ifMatch(req) },
    });
    reply(res, outcome, projection);
  });

  router.delete(`${prefix}/Users/:id`, async (req, res) => {
    const userId = existingId(req.params.id, 'User');
    const projection = projectionOf(req);
    const outcome = await deps.bus.send(senderOf(res), { name: 'user.delete', data: { userId, ...ifMatch(req) } });
    reply(res, outcome, projection);
  });
}
