import {
  applyPatch,
  compilePatch,
  GroupResource,
  ScimError,
  validateDocument,
  type StoredResource,
} from '@scimflow/scim';
import {
  addMembers,
  deleteResource,
  groupsContaining,
  insertResources,
  isUuid,
  keyOf,
  replaceMembers,
  resolveMembers,
  touchResources,
  type MemberRef,
} from '@scimflow/db';
import type { CommandOf, CommandOutcome } from '@scimflow/jobs';
import {
  failed,
  lockedRow,
  textOf,
  type CommandSlot,
  nameTakenOutcome,
  remember,
  requireProfileAttributes,
  writeDocument,
  type CommandContext,
} from './command-context';
import { ChangeEvents, MemberChanges } from './change-events';
import { applyMemberOperations, checkMembers, isMembersOperation, resolveMemberInputs } from './group-members';

/** All group creates of a batch: members checked first (one query per tenant), then one INSERT, then the memberships. */
export async function createGroups(
  ctx: CommandContext,
  creates: readonly CommandSlot<'group.create'>[],
): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const { command } of creates)
    byTenant.set(command.tenantId, [
      ...(byTenant.get(command.tenantId) ?? []),
      ...command.data.members.map((m) => m.value.toLowerCase()),
    ]);
  const found = new Map<string, Awaited<ReturnType<typeof resolveMembers>>>();
  for (const [tenantId, ids] of byTenant)
    found.set(tenantId, await resolveMembers(ctx.trx, tenantId, [...new Set(ids)].filter(isUuid)));

  const accepted: { slot: CommandSlot<'group.create'>; members: MemberRef[] }[] = [];
  for (const slot of creates) {
    const { tenantId, data } = slot.command;
    try {
      requireProfileAttributes(ctx, tenantId, GroupResource, data.data);
      accepted.push({ slot, members: checkMembers(data.members, found.get(tenantId) ?? new Map(), data.groupId) });
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      slot.outcome = failed(error);
    }
  }
  const sortKey = ({ slot: { command } }: (typeof accepted)[number]) =>
    `${command.tenantId}/${(textOf(command.data.data.displayName) ?? '').toLowerCase()}`;
  accepted.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  const inserted = await insertResources(
    ctx.trx,
    'groups',
    accepted.map(({ slot: { command } }) => ({
      tenantId: command.tenantId,
      id: command.data.groupId,
      data: command.data.data,
    })),
  );
  for (const { slot, members } of accepted) {
    const { command } = slot;
    const resource = inserted.get(keyOf(command.tenantId, command.data.groupId));
    if (!resource) {
      slot.outcome = nameTakenOutcome('groups', textOf(command.data.data.displayName));
      continue;
    }
    const added = await addMembers(ctx.trx, command.tenantId, resource.id, members);
    const events = new ChangeEvents(ctx, command);
    events.created('Group', resource);
    events.members(resource, added, []);
    slot.outcome = { ok: true, status: 201, resource };
  }
}

/** PUT: the document and the whole member list, replaced by deltas. */
export async function replaceGroup(ctx: CommandContext, command: CommandOf<'group.replace'>): Promise<CommandOutcome> {
  const { tenantId, data } = command;
  const current = lockedRow(ctx, 'groups', tenantId, data.groupId, data.ifMatch);
  validateDocument(GroupResource, data.data);
  requireProfileAttributes(ctx, tenantId, GroupResource, data.data);
  const members = await resolveMemberInputs(ctx, tenantId, data.members, data.groupId);
  const written = await writeDocument(ctx, 'groups', tenantId, current, data.data);
  const delta = await replaceMembers(ctx.trx, tenantId, data.groupId, members);
  const changes = new MemberChanges();
  changes.remove(delta.removed);
  changes.add(delta.added);
  return updated(ctx, command, current, written, changes);
}

/** PATCH: operations on `members` become membership deltas; the rest patch the document. One new version either way. */
export async function patchGroup(ctx: CommandContext, command: CommandOf<'group.patch'>): Promise<CommandOutcome> {
  const { tenantId, data } = command;
  const current = lockedRow(ctx, 'groups', tenantId, data.groupId, data.ifMatch);
  const operations = compilePatch(GroupResource, data.operations);
  const { doc } = applyPatch(
    GroupResource,
    current.data,
    operations.filter((operation) => !isMembersOperation(operation)),
  );
  requireProfileAttributes(ctx, tenantId, GroupResource, doc);
  const written = await writeDocument(ctx, 'groups', tenantId, current, doc);
  const { changes, bumped } = await applyMemberOperations(
    ctx,
    tenantId,
    data.groupId,
    operations.filter(isMembersOperation),
    written === current ? current : undefined,
  );
  return updated(ctx, command, current, bumped ?? written, changes);
}

/** One new version for the whole command, then its events (which carry that version). */
async function updated(
  ctx: CommandContext,
  command: CommandOf<'group.replace' | 'group.patch'>,
  before: StoredResource,
  written: StoredResource,
  changes: MemberChanges,
): Promise<CommandOutcome> {
  const resource = written === before && changes.size > 0 ? await touch(ctx, command.tenantId, before.id) : written;
  new ChangeEvents(ctx, command).groupUpdated(before, resource, changes);
  // The status the client gets is the one logged: a PATCH is 204 unless it asked for the group.
  const status = command.name === 'group.patch' && command.data.returnResource !== true ? 204 : 200;
  return { ok: true, status, resource };
}

/** Deleting a group drops its memberships both ways (cascade) and gives groups that contained it a new version. */
export async function removeGroup(ctx: CommandContext, command: CommandOf<'group.delete'>): Promise<CommandOutcome> {
  const { tenantId, data } = command;
  const current = lockedRow(ctx, 'groups', tenantId, data.groupId, data.ifMatch);
  const events = new ChangeEvents(ctx, command);
  const parents = (await groupsContaining(ctx.trx, tenantId, [data.groupId])).filter((id) => id !== data.groupId);
  for (const parent of (await touchResources(ctx.trx, 'groups', tenantId, parents)).values()) {
    events.members(remember(ctx, 'groups', tenantId, parent), [], [{ id: data.groupId, type: 'Group' }]);
  }
  await deleteResource(ctx.trx, 'groups', { tenantId, id: data.groupId });
  events.deleted('Group', data.groupId, current.data);
  ctx.rows.groups.set(keyOf(tenantId, data.groupId), undefined);
  return { ok: true, status: 204 };
}

async function touch(ctx: CommandContext, tenantId: string, groupId: string) {
  const row = (await touchResources(ctx.trx, 'groups', tenantId, [groupId])).get(groupId);
  if (!row) throw new Error(`group ${groupId} vanished under its lock`);
  return remember(ctx, 'groups', tenantId, row);
}
