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
  type ScimDocument,
} from '@scimflow/scim';
import { setVersionHeaders, startScimStream } from '../http/scim-response';
import { answeredByWorker, tenantIdOf } from '../http/response-locals';
import { readOne, search } from './resource-reads';
import { StreamingBody, writeGroup } from './render';
import { ifMatch, projectionRequest, readDeps, requireBody, wantsBody, type ScimDeps } from './scim-context';
import { existingId } from './users-routes';

/** Members are rows, not part of the stored document: they travel beside it. */
function splitMembers(doc: ScimDocument) {
  const { members, ...data } = doc;
  return { data, members: memberInputs(members) };
}

export function registerGroupRoutes(router: Router, prefix: string, deps: ScimDeps): void {
  /**
   * The committed group, its members streamed from the database (a 10,000-member PUT is never
   * echoed through the queue). PATCH answers 204 unless the client asked for attributes
   * (RFC 7644 §3.5.2: 200 with the resource, or 204).
   */
  async function reply(req: Request, res: Response, outcome: CommandOutcome, patch = false): Promise<void> {
    if (!outcome.ok) {
      answeredByWorker(res);
      throw ScimError.fromData(outcome.error);
    }
    const group = outcome.resource;
    if (outcome.status === 204 || !group) return void res.status(204).end();
    const deps0 = readDeps(deps, res);
    setVersionHeaders(res, group);
    if (patch && !wantsBody(req)) return void res.status(204).end();
    if (outcome.status === 201) res.setHeader('Location', `${deps0.base}/Groups/${group.id}`);
    const request = projectionRequest(req);
    startScimStream(res, outcome.status);
    await writeGroup(new StreamingBody(res), deps.db, deps0.tenantId, group, {
      base: deps0.base,
      projection: parseProjection(GroupResource, request.attributes, request.excludedAttributes),
    });
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
    const { data, members } = splitMembers(normalizeResource(GroupResource, requireBody(req)));
    await reply(
      req,
      res,
      await deps.bus.send(tenantIdOf(res), { name: 'group.create', data: { groupId: uuidv7(), data, members } }),
    );
  });

  router.put(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    const { data, members } = splitMembers(normalizeResource(GroupResource, requireBody(req)));
    await reply(
      req,
      res,
      await deps.bus.send(tenantIdOf(res), {
        name: 'group.replace',
        data: { groupId, data, members, ...ifMatch(req) },
      }),
    );
  });

  router.patch(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    const operations = parsePatchRequest(requireBody(req));
    // Rejects bad paths, values and member entries with a 400 before anything is queued.
    for (const operation of compilePatch(GroupResource, operations)) {
      if (operation.target.attr.name !== 'members') continue;
      memberInputs(operation.kind === 'set' ? operation.value : operation.values);
    }
    await reply(
      req,
      res,
      await deps.bus.send(tenantIdOf(res), { name: 'group.patch', data: { groupId, operations, ...ifMatch(req) } }),
      true,
    );
  });

  router.delete(`${prefix}/Groups/:id`, async (req, res) => {
    const groupId = existingId(req.params.id, 'Group');
    await reply(
      req,
      res,
      await deps.bus.send(tenantIdOf(res), { name: 'group.delete', data: { groupId, ...ifMatch(req) } }),
    );
  });
}
