import type { Request, Response, Router } from 'express';
import type { CommandOutcome } from '@scimflow/jobs';
import {
  parseProjection,
  ScimError,
  searchFromBody,
  searchFromQuery,
  UserResource,
  type BulkMethod,
  type Projection,
} from '@scimflow/scim';
import { sendScim, setVersionHeaders } from '../http/scim-response';
import { answeredByWorker, senderOf } from '../http/response-locals';
import { readOne, search } from './resource-reads';
import { renderOne } from './render';
import { ifMatch, pathId, projectionRequest, readDeps, requireBody, type ScimDeps } from './scim-context';
import { userCommand } from './write-commands';

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

  /** POST, PUT, PATCH and DELETE: the same checks and command as a /Bulk operation's. */
  const write =
    (method: BulkMethod) =>
    async (req: Request, res: Response): Promise<void> => {
      const projection = projectionOf(req);
      const command = userCommand({ method, id: pathId(req), body: () => requireBody(req), ...ifMatch(req) });
      reply(res, await deps.bus.send(senderOf(res), command), projection);
    };
  router.post(`${prefix}/Users`, write('POST'));
  router.put(`${prefix}/Users/:id`, write('PUT'));
  router.patch(`${prefix}/Users/:id`, write('PATCH'));
  router.delete(`${prefix}/Users/:id`, write('DELETE'));
}
