import { isUuid, uuidv7 } from '@scimflow/db';
import { memberInputs, type CommandRequest } from '@scimflow/jobs';
import {
  compilePatch,
  GroupResource,
  normalizeResource,
  parsePatchRequest,
  ScimError,
  UserResource,
  type BulkMethod,
  type ScimDocument,
} from '@scimflow/scim';

/**
 * One write as a command for the worker, checked completely before it is sent: once the worker
 * has applied it, nothing may turn the answer into an error. Shared by the single-resource routes
 * and /Bulk, so an operation in a bulk request is refused or applied exactly as the same request
 * on its own would be.
 */
export interface WriteRequest {
  readonly method: BulkMethod;
  /** The id in the path (every method but POST). */
  readonly id?: string;
  /** Read only for methods that carry a body, after the id is checked. */
  readonly body: () => unknown;
  readonly ifMatch?: string;
}

/** Non-uuid ids can't exist: 404 without a round trip (Okta's suite probes with `010101...`). */
export function existingId(id: string | undefined, kind: string): string {
  if (id === undefined || !isUuid(id)) throw ScimError.notFound(`${kind} ${id ?? ''} not found`);
  // Uuids compare case-insensitively (RFC 4122); the worker's keys are lowercase, as Postgres's.
  return id.toLowerCase();
}

function versionOf(write: WriteRequest): { ifMatch?: string } {
  return write.ifMatch === undefined ? {} : { ifMatch: write.ifMatch };
}

export function userCommand(write: WriteRequest): CommandRequest {
  switch (write.method) {
    case 'POST':
      return { name: 'user.create', data: { userId: uuidv7(), data: normalizeResource(UserResource, write.body()) } };
    case 'PUT': {
      const userId = existingId(write.id, 'User');
      const data = normalizeResource(UserResource, write.body());
      return { name: 'user.replace', data: { userId, data, ...versionOf(write) } };
    }
    case 'PATCH': {
      const userId = existingId(write.id, 'User');
      const operations = parsePatchRequest(write.body());
      // Compiled here only to reject bad paths and values with a 400 before anything is queued.
      compilePatch(UserResource, operations);
      return { name: 'user.patch', data: { userId, operations, ...versionOf(write) } };
    }
    case 'DELETE':
      return { name: 'user.delete', data: { userId: existingId(write.id, 'User'), ...versionOf(write) } };
  }
}

/** Members are rows, not part of the stored document: they travel beside it. */
function splitMembers(doc: ScimDocument) {
  const { members, ...data } = doc;
  return { data, members: memberInputs(members) };
}

/** `returnResource`: a PATCH answers 200 with the group, not 204 (the client asked for attributes). */
export function groupCommand(write: WriteRequest, returnResource = false): CommandRequest {
  switch (write.method) {
    case 'POST':
      return {
        name: 'group.create',
        data: { groupId: uuidv7(), ...splitMembers(normalizeResource(GroupResource, write.body())) },
      };
    case 'PUT': {
      const groupId = existingId(write.id, 'Group');
      const { data, members } = splitMembers(normalizeResource(GroupResource, write.body()));
      return { name: 'group.replace', data: { groupId, data, members, ...versionOf(write) } };
    }
    case 'PATCH': {
      const groupId = existingId(write.id, 'Group');
      const operations = parsePatchRequest(write.body());
      // Rejects bad paths, values and member entries with a 400 before anything is queued.
      for (const operation of compilePatch(GroupResource, operations)) {
        if (operation.target.attr.name !== 'members') continue;
        memberInputs(operation.kind === 'set' ? operation.value : operation.values);
      }
      return {
        name: 'group.patch',
        data: { groupId, operations, ...versionOf(write), ...(returnResource ? { returnResource: true } : {}) },
      };
    }
    case 'DELETE':
      return { name: 'group.delete', data: { groupId: existingId(write.id, 'Group'), ...versionOf(write) } };
  }
}
