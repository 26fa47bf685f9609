import {
  addFoundMembers,
  addMembers,
  compileRelationFilter,
  GroupSql,
  isUuid,
  removeMembers,
  removeMembersWhere,
  replaceMembers,
  resolveMembers,
  type MemberRef,
  type MemberType,
  type RemovedMembers,
} from '@scimflow/db';
import { memberInputs, type MemberInput } from '@scimflow/jobs';
import { ScimError, type AtomicOperation, type StoredResource } from '@scimflow/scim';
import { MemberChanges } from './change-events';
import { remember, type CommandContext } from './command-context';
import { memberIdsOf, takeMemberAddition } from './member-additions';

const SHOWN_MISSING = 10;

/**
 * Checks that every named member is a user or group of the tenant (and of the type the client
 * said, when it said one). Nothing is written before this passes: `400 invalidValue` otherwise.
 */
export async function resolveMemberInputs(
  ctx: CommandContext,
  tenantId: string,
  inputs: readonly MemberInput[],
  groupId?: string,
): Promise<MemberRef[]> {
  const found = await resolveMembers(ctx.trx, tenantId, memberIdsOf(inputs));
  return checkMembers(inputs, found, groupId);
}

export function checkMembers(
  inputs: readonly MemberInput[],
  found: ReadonlyMap<string, MemberType>,
  groupId?: string,
): MemberRef[] {
  const missing: string[] = [];
  const members = new Map<string, MemberRef>();
  for (const input of inputs) {
    const id = input.value.toLowerCase();
    const type = found.get(id);
    if (!type) {
      missing.push(input.value);
      continue;
    }
    if (input.type !== undefined && input.type.toLowerCase() !== type.toLowerCase()) {
      throw ScimError.badRequest('invalidValue', `Member ${input.value} is a ${type}, not a ${input.type}`);
    }
    if (id === groupId) throw ScimError.badRequest('invalidValue', 'A group cannot be a member of itself');
    members.set(id, { id, type });
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, SHOWN_MISSING).join(', ');
    const more = missing.length > SHOWN_MISSING ? ` and ${missing.length - SHOWN_MISSING} more` : '';
    throw ScimError.badRequest('invalidValue', `No such member in this tenant: ${shown}${more}; nothing was applied`);
  }
  return [...members.values()];
}

export function isMembersOperation(operation: AtomicOperation): boolean {
  return operation.target.namespace === null && operation.target.attr.name === 'members';
}

export interface MemberOutcome {
  readonly changes: MemberChanges;
  /** The group with its new version, when the statement that added its members gave it one. */
  readonly bumped?: StoredResource;
}

/**
 * Applies a PATCH's operations on `members` as SQL deltas, in order, after checking every member
 * it adds. Entra removes with `path: "members"` plus a value list, or `members[value eq "id"]`;
 * Okta adds, removes by filter, or replaces the whole list. Returns the net changes.
 */
export async function applyMemberOperations(
  ctx: CommandContext,
  tenantId: string,
  groupId: string,
  operations: readonly AtomicOperation[],
  /** The group as locked, when its document was not written: a members-only change must give it a new version. */
  unwritten?: StoredResource,
): Promise<MemberOutcome> {
  for (const operation of operations) {
    if (operation.target.sub || (operation.kind === 'set' && operation.target.filter)) {
      throw ScimError.badRequest(
        'invalidPath',
        "Members are added, replaced or removed whole: use path 'members' or 'members[value eq \"id\"]'",
      );
    }
  }
  const [only] = operations;
  if (operations.length === 1 && only?.kind === 'set' && only.op === 'add') {
    // The common PATCH (Entra and Okta add members one operation at a time): resolved and added at once.
    const inputs = memberInputs(only.value);
    const { found, added, bumped } =
      takeMemberAddition(ctx, tenantId, groupId, unwritten) ??
      (await addFoundMembers(ctx.trx, tenantId, groupId, memberIdsOf(inputs), unwritten !== undefined));
    checkMembers(inputs, found, groupId);
    const changes = new MemberChanges();
    changes.add(added);
    if (!unwritten || !bumped) return { changes };
    return { changes, bumped: remember(ctx, 'groups', tenantId, { ...unwritten, ...bumped }) };
  }
  const adding = operations.flatMap((operation) => (operation.kind === 'set' ? memberInputs(operation.value) : []));
  const known = new Map(
    (await resolveMemberInputs(ctx, tenantId, adding, groupId)).map((member) => [member.id, member]),
  );
  const refOf = (input: MemberInput): MemberRef => {
    const ref = known.get(input.value.toLowerCase());
    // resolveMemberInputs refused the request if any member was unknown.
    if (!ref) throw new Error(`member ${input.value} was resolved but is missing`);
    return ref;
  };
  const changes = new MemberChanges();
  // A PATCH whose one operation removes members (Entra's value list, Okta's filter) gives the group
  // its new version in the statement that removes them, as the common add does.
  const bumpGroup = operations.length === 1 && unwritten !== undefined;
  let removal: RemovedMembers = { removed: [] };
  for (const operation of operations) {
    if (operation.kind === 'set') {
      const members = memberInputs(operation.value).map(refOf);
      if (operation.op === 'add') changes.add(await addMembers(ctx.trx, tenantId, groupId, members));
      else {
        const delta = await replaceMembers(ctx.trx, tenantId, groupId, members);
        changes.remove(delta.removed);
        changes.add(delta.added);
      }
    } else if (operation.values) {
      const ids = memberInputs(operation.values)
        .map((input) => input.value.toLowerCase())
        .filter(isUuid);
      removal = await removeMembers(ctx.trx, tenantId, groupId, ids, bumpGroup);
      changes.remove(removal.removed);
    } else {
      const condition = operation.target.filter
        ? compileRelationFilter(GroupSql, 'members', operation.target.filter)
        : undefined;
      removal = await removeMembersWhere(ctx.trx, tenantId, groupId, condition, bumpGroup);
      changes.remove(removal.removed);
    }
  }
  if (!unwritten || !removal.bumped) return { changes };
  return { changes, bumped: remember(ctx, 'groups', tenantId, { ...unwritten, ...removal.bumped }) };
}
