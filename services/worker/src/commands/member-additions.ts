// A sync's group phase is PATCHes that each add members to one group (Entra and Okta send one
// operation per change). In a batch run without savepoints they are added in one statement before
// the updates run, and each PATCH takes its group's result instead of a round trip of its own:
// a batch of n such PATCHes had n + 4 round trips in its transaction, now 5.
import { addFoundMembersOfGroups, isUuid, keyOf, type FoundMembers } from '@scimflow/db';
import { memberInputs, type MemberInput } from '@scimflow/jobs';
import { compilePatch, GroupResource, ScimError, type AtomicOperation, type StoredResource } from '@scimflow/scim';
import { isSlotOf, type CommandContext, type CommandSlot } from './command-context';

/**
 * Adds the members of the batch's eligible group PATCHes together. Eligible: a PATCH whose one
 * operation adds members, to a group that exists and that no other command of the batch updates,
 * in a batch without deletes (a delete between two of them could change who exists). Whatever a
 * PATCH then refuses (a missing member, If-Match) rolls this attempt back, and the batch runs again
 * with savepoints, where nothing is added ahead.
 */
export async function addMembersTogether(ctx: CommandContext, updates: readonly CommandSlot[]): Promise<void> {
  if (updates.some(({ command }) => command.name === 'user.delete' || command.name === 'group.delete')) return;
  const updatesPerGroup = new Map<string, number>();
  for (const { command } of updates) {
    if ('groupId' in command.data) {
      const key = keyOf(command.tenantId, command.data.groupId);
      updatesPerGroup.set(key, (updatesPerGroup.get(key) ?? 0) + 1);
    }
  }
  const eligible = updates.flatMap((slot) => {
    if (!isSlotOf(slot, 'group.patch')) return [];
    const { tenantId, data } = slot.command;
    const key = keyOf(tenantId, data.groupId);
    if (updatesPerGroup.get(key) !== 1 || !ctx.rows.groups.get(key)) return [];
    const ids = idsAdded(data.operations);
    return ids ? [{ key, tenantId, groupId: data.groupId, ids }] : [];
  });
  if (eligible.length < 2) return;
  const results = await addFoundMembersOfGroups(ctx.trx, eligible);
  for (const [index, { key }] of eligible.entries()) {
    const result = results[index];
    if (result) ctx.memberAdditions.set(key, result);
  }
}

/** The member ids a PATCH adds, when adding members is all it does; undefined otherwise (or when it is invalid). */
function idsAdded(operations: Parameters<typeof compilePatch>[1]): string[] | undefined {
  try {
    const compiled: AtomicOperation[] = compilePatch(GroupResource, operations);
    const [only] = compiled;
    if (compiled.length !== 1 || !only || only.kind !== 'set' || only.op !== 'add') return undefined;
    const { target } = only;
    if (target.namespace !== null || target.attr.name !== 'members' || target.sub || target.filter) return undefined;
    return memberIdsOf(memberInputs(only.value));
  } catch (error) {
    // Invalid here means the PATCH is refused when it runs: it simply isn't added ahead.
    if (error instanceof ScimError) return undefined;
    throw error;
  }
}

/** The distinct ids the inputs name that can be ids at all (others are simply not found). */
export function memberIdsOf(inputs: readonly MemberInput[]): string[] {
  return [...new Set(inputs.map((input) => input.value.toLowerCase()))].filter(isUuid);
}

/**
 * The members added ahead for this group's PATCH, once. They were added with a new version for the
 * group, which is right only for a PATCH that left the document as it was (`unwritten`).
 */
export function takeMemberAddition(
  ctx: CommandContext,
  tenantId: string,
  groupId: string,
  unwritten: StoredResource | undefined,
): FoundMembers | undefined {
  const key = keyOf(tenantId, groupId);
  const found = ctx.memberAdditions.get(key);
  if (!found) return undefined;
  ctx.memberAdditions.delete(key);
  if (!unwritten) throw new Error(`members were added ahead for group ${groupId}, whose PATCH also wrote its document`);
  return found;
}
