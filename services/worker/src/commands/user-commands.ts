import {
  applyPatch,
  compilePatch,
  ScimError,
  UserResource,
  validateDocument,
  type JsonValue,
  type StoredResource,
} from '@scimflow/scim';
import {
  addMembers,
  deleteResource,
  EMPTY_PROFILE,
  groupsContaining,
  insertResources,
  keyOf,
  resolveMembers,
  touchResources,
} from '@scimflow/db';
import type { CommandOf, CommandOutcome } from '@scimflow/jobs';
import { ChangeEvents } from './change-events';
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

/** Creates sort by tenant and userName, so concurrent batches take index locks in one order. */
const sortKey = ({ command }: CommandSlot<'user.create'>) =>
  `${command.tenantId}/${(textOf(command.data.data.userName) ?? '').toLowerCase()}`;

/**
 * All user creates of a batch in one INSERT (sorted, so concurrent batches take index locks in
 * one order), then each new user joins its tenant's default groups, in the same transaction.
 */
export async function createUsers(ctx: CommandContext, creates: readonly CommandSlot<'user.create'>[]): Promise<void> {
  const accepted = creates.filter((slot) => {
    try {
      requireProfileAttributes(ctx, slot.command.tenantId, UserResource, slot.command.data.data);
      return true;
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      slot.outcome = failed(error);
      return false;
    }
  });
  const sorted = accepted.toSorted((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  const inserted = await insertResources(
    ctx.trx,
    'users',
    sorted.map(({ command }) => ({ tenantId: command.tenantId, id: command.data.userId, data: command.data.data })),
  );
  const created = new Map<string, { command: CommandOf<'user.create'>; resource: StoredResource }[]>();
  for (const slot of sorted) {
    const { command } = slot;
    const resource = inserted.get(keyOf(command.tenantId, command.data.userId));
    if (!resource) {
      slot.outcome = nameTakenOutcome('users', textOf(command.data.data.userName));
      continue;
    }
    slot.outcome = { ok: true, status: 201, resource };
    new ChangeEvents(ctx, command).created('User', resource);
    created.set(command.tenantId, [...(created.get(command.tenantId) ?? []), { command, resource }]);
  }
  for (const [tenantId, users] of created) {
    const groups = await joinDefaultGroups(ctx, tenantId, users);
    if (groups.length === 0) continue;
    const userIds = new Set(users.map((user) => user.resource.id));
    for (const slot of sorted) {
      const { outcome } = slot;
      if (outcome?.ok && outcome.resource && userIds.has(outcome.resource.id))
        slot.outcome = { ...outcome, resource: { ...outcome.resource, derived: { groups } } };
    }
  }
}

/** Connecter's "default workspace": every new user joins the tenant's default groups. Returns them as [{value, display}]. */
async function joinDefaultGroups(
  ctx: CommandContext,
  tenantId: string,
  users: readonly { command: CommandOf<'user.create'>; resource: StoredResource }[],
): Promise<JsonValue[]> {
  const wanted = (ctx.profiles.get(tenantId) ?? EMPTY_PROFILE).defaultGroups;
  if (wanted.length === 0) return [];
  const found = await resolveMembers(ctx.trx, tenantId, wanted);
  // A default group deleted since the profile was saved is skipped, not an error for the user.
  const groupIds = wanted.filter((id) => found.get(id) === 'Group');
  const added = new Map<string, Set<string>>();
  for (const groupId of groupIds) {
    const members = await addMembers(
      ctx.trx,
      tenantId,
      groupId,
      users.map(({ resource }) => ({ id: resource.id, type: 'User' as const })),
    );
    added.set(groupId, new Set(members.map((member) => member.id)));
  }
  const touched = await touchResources(ctx.trx, 'groups', tenantId, groupIds);
  // One event per user and group: each belongs to the request that created that user.
  for (const { command, resource } of users) {
    const events = new ChangeEvents(ctx, command);
    for (const groupId of groupIds) {
      const group = touched.get(groupId);
      if (group && added.get(groupId)?.has(resource.id)) events.members(group, [{ id: resource.id, type: 'User' }], []);
    }
  }
  return groupIds.flatMap((id) => {
    const group = touched.get(id);
    return group ? [{ value: id, display: textOf(group.data.displayName) ?? null, type: 'direct' }] : [];
  });
}

export async function replaceUser(ctx: CommandContext, command: CommandOf<'user.replace'>): Promise<CommandOutcome> {
  const current = lockedRow(ctx, 'users', command.tenantId, command.data.userId, command.data.ifMatch);
  validateDocument(UserResource, command.data.data);
  requireProfileAttributes(ctx, command.tenantId, UserResource, command.data.data);
  return userUpdated(
    ctx,
    command,
    current,
    await writeDocument(ctx, 'users', command.tenantId, current, command.data.data),
  );
}

export async function patchUser(ctx: CommandContext, command: CommandOf<'user.patch'>): Promise<CommandOutcome> {
  const current = lockedRow(ctx, 'users', command.tenantId, command.data.userId, command.data.ifMatch);
  const { doc } = applyPatch(UserResource, current.data, compilePatch(UserResource, command.data.operations));
  requireProfileAttributes(ctx, command.tenantId, UserResource, doc);
  return userUpdated(ctx, command, current, await writeDocument(ctx, 'users', command.tenantId, current, doc));
}

function userUpdated(
  ctx: CommandContext,
  command: CommandOf<'user.replace' | 'user.patch'>,
  before: StoredResource,
  resource: StoredResource,
): CommandOutcome {
  new ChangeEvents(ctx, command).userUpdated(before, resource);
  return { ok: true, status: 200, resource };
}

/** Deleting a user drops its memberships (the database cascades) and gives those groups a new version. */
export async function removeUser(ctx: CommandContext, command: CommandOf<'user.delete'>): Promise<CommandOutcome> {
  const { tenantId, data } = command;
  const current = lockedRow(ctx, 'users', tenantId, data.userId, data.ifMatch);
  const events = new ChangeEvents(ctx, command);
  // Explicit removals first, so a consumer tracking memberships needn't infer them from the delete.
  for (const group of (
    await touchResources(ctx.trx, 'groups', tenantId, await groupsContaining(ctx.trx, tenantId, [data.userId]))
  ).values()) {
    events.members(remember(ctx, 'groups', tenantId, group), [], [{ id: data.userId, type: 'User' }]);
  }
  await deleteResource(ctx.trx, 'users', { tenantId, id: data.userId });
  events.deleted('User', data.userId, current.data);
  ctx.rows.users.set(keyOf(tenantId, data.userId), undefined);
  return { ok: true, status: 204 };
}
