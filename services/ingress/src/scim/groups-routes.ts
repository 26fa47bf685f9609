import type { Request, Response, Router } from 'express';
import type { CommandOutcome } from '@scimflow/jobs';
import {
  GroupResource,
  parseProjection,
  ScimError,
  searchFromBody,
  searchFromQuery,
  type BulkMethod,
  type Projection,
} from '@scimflow/scim';
import { setVersionHeaders, startScimStream } from '../http/scim-response';
import { answeredByWorker, senderOf } from '../http/response-locals';
import { readOne, search } from './resource-reads';
import { StreamingBody, writeGroup } from './render';
import { ifMatch, pathId, projectionRequest, readDeps, requireBody, wantsBody, type ScimDeps } from './scim-context';
import { groupCommand } from './write-commands';

/** Checked before the write is sent: once it is applied, nothing may turn the answer into an error. */
function projectionOf(req: Request): Projection {
  const request = projectionRequest(req);
  return parseProjection(GroupResource, request.attributes, request.excludedAttributes);
}

export function registerGroupRoutes(router: Router, prefix: string, deps: ScimDeps): void {
  /**
   * The committed group, its members streamed from the database (a 10,000-member PUT is never
   * echoed through the queue). A PATCH answers 204 unless the client asked for attributes
   * (RFC 7644 §3.5.2: 200 with the resource, or 204); the worker decided which, and logged it.
   */
  async function reply(res: Response, outcome: CommandOutcome, projection: Projection): Promise<void> {
    if (!outcome.ok) {
      answeredByWorker(res);
      throw ScimError.fromData(outcome.error);
    }
    const group = outcome.resource;
    if (group) setVersionHeaders(res, group);
    if (outcome.status === 204 || !group) return void res.status(204).end();
    const { base, tenantId } = readDeps(deps, res);
    if (outcome.status === 201) res.setHeader('Location', `${base}/Groups/${group.id}`);
    startScimStream(res, outcome.status);
    await writeGroup(new StreamingBody(res), deps.db, tenantId, group, { base, projection });
    res.end();
  }

  router.get(`${prefix}/Groups`, (req, res) =>
    search(readDeps(deps, res), res, GroupResource, searchFromQuery(req.query)),
  );
  router.post(`${prefix}/Groups/.search`, (req, res) =>
    search(readDeps(deps, res), res, GroupResource, searchFromBody(requireBody(req))),
  );
  router.get(`${prefix}/Groups/:id`, (req, res) =>
    readOne(readDeps(deps, res), req, res, GroupResource, req.params.id, projectionRequest(req)),
  );

  /** POST, PUT, PATCH and DELETE: the same checks and command as a /Bulk operation's. */
  const write =
    (method: BulkMethod) =>
    async (req: Request, res: Response): Promise<void> => {
      const projection = projectionOf(req);
      const request = { method, id: pathId(req), body: () => requireBody(req), ...ifMatch(req) };
      const outcome = await deps.bus.send(senderOf(res), groupCommand(request, wantsBody(req)));
      await reply(res, outcome, projection);
    };
  router.post(`${prefix}/Groups`, write('POST'));
  router.put(`${prefix}/Groups/:id`, write('PUT'));
  router.patch(`${prefix}/Groups/:id`, write('PATCH'));
  router.delete(`${prefix}/Groups/:id`, write('DELETE'));
}
