import type { Request, Response, Router } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { memberInputs, type CommandOutcome } from '@scimflow/jobs';
import {
  compilePatch,
  GroupResource,
  normalizeResource,
  parsePatchRequest,
  parseProjection,
  ScimError,
  searchFromBody,
  searchFromQuery,
  type Projection,
  type ScimDocument,
} from '@scimflow/scim';
import { setVersionHeaders, startScimStream } from '../http/scim-response';
import { answeredByWorker, senderOf } from '../http/response-locals';
import { readOne, search } from './resource-reads';
import { StreamingBody, writeGroup } from './render';
import { ifMatch, projectionRequest, readDeps, requireBody, wantsBody, type ScimDeps } from './scim-context';
import { existingId } from './users-routes';

/** Members are rows, not part of the stored document: they travel beside it. */
function splitMembers(doc: ScimDocument) {
  const { members, ...data } = doc;
  return { data, members: memberInputs(members) };
}

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

  router.post(`${prefix}/Groups`, async (req, res) => {
    const projection = projectionOf(req);
    const { data, members } = splitMembers(normalizeResource(GroupResource, requireBody(req)));
    const outcome = await deps.bus.send(senderOf(res), {
      name: 'group.create',
      data: { groupId: uuidv7(), data, members },
    });
    await reply(res, outcome, projection);
  });

  router.put(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    const projection = projectionOf(req);
    const { data, members } = splitMembers(normalizeResource(GroupResource, requireBody(req)));
    const outcome = await deps.bus.send(senderOf(res), {
      name: 'group.replace',
      data: { groupId, data, members, ...ifMatch(req) },
    });
    await reply(res, outcome, projection);
  });

  router.patch(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    const projection = projectionOf(req);
    const operations = parsePatchRequest(requireBody(req));
    // Rejects bad paths, values and member entries with a 400 before anything is queued.
    for (const operation of compilePatch(GroupResource, operations)) {
      if (operation.target.attr.name !== 'members') continue;
      memberInputs(operation.kind === 'set' ? operation.value : operation.values);
    }
    const outcome = await deps.bus.send(senderOf(res), {
      name: 'group.patch',
      data: { groupId, operations, ...ifMatch(req), ...(wantsBody(req) ? { returnResource: true } : {}) },
    });
    await reply(res, outcome, projection);
  });

  router.delete(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    const projection = projectionOf(req);
    const outcome = await deps.bus.send(senderOf(res), { name: 'group.delete', data: { groupId, ...ifMatch(req) } });
    await reply(res, outcome, projection);
  });
}
