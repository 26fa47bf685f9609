import { applyPatch, compilePatch, UserResource, validateDocument, type JsonValue } from '@scimflow/scim';
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
import { failed, lockedRow, nameTaken, requireProfileAttributes, writeDocument, type CommandContext } from './command-context';
import { ScimError } from '@scimflow/scim';

type Indexed<N extends 'user.create'> = { readonly index: number; readonly command: CommandOf<N> };

/**
 * All user creates of a batch in one INSERT (sorted, so concurrent batches take index locks in
 * one order), then each new user joins its tenant's default groups, in the same transaction.
 */
export async function createUsers(ctx: CommandContext, creates: readonly Indexed<'user.create'>[], outcomes: (CommandOutcome | undefined)[]): Promise<void> {
  const accepted = creates.filter(({ index, command }) => {
    try {
      requireProfileAttributes(ctx, command.tenantId, UserResource, command.data.data);
      return true;
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      outcomes[index] = failed(error);
      return false;
    }
  });
  const sortKey = ({ command }: Indexed<'user.create'>) => `${command.tenantId}/${String(command.data.data.userName).toLowerCase()}`;
  const sorted = [...accepted].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  const inserted = await insertResources(
    ctx.trx,
    'users',
    sorted.map(({ command }) => ({ tenantId: command.tenantId, id: command.data.userId, data: command.data.data })),
  );
  const created = new Map<string, string[]>();
  for (const { index, command } of sorted) {
    const resource = inserted.get(keyOf(command.tenantId, command.data.userId));
    if (!resource) {
      outcomes[index] = failed(nameTaken('users', String(command.data.data.userName)));
      continue;
    }
    outcomes[index] = { ok: true, status: 201, resource };
    created.set(command.tenantId, [...(created.get(command.tenantId) ?? []), resource.id]);
  }
  for (const [tenantId, userIds] of created) {
    const groups = await joinDefaultGroups(ctx, tenantId, userIds);
    if (groups.length === 0) continue;
    for (const { index } of sorted) {
      const outcome = outcomes[index];
      if (outcome?.ok && outcome.resource && userIds.includes(outcome.resource.id)) outcomes[index] = { ...outcome, resource: { ...outcome.resource, derived: { groups } } };
    }
  }
}

/** Connecter's "default workspace": every new user joins the tenant's default groups. Returns them as [{value, display}]. */
async function joinDefaultGroups(ctx: CommandContext, tenantId: string, userIds: readonly string[]): Promise<JsonValue[]> {
  const wanted = (ctx.profiles.get(tenantId) ?? EMPTY_PROFILE).defaultGroups;
  if (wanted.length === 0) return [];
  const found = await resolveMembers(ctx.trx, tenantId, wanted);
  // A default group deleted since the profile was saved is skipped, not an error for the user.
  const groupIds = wanted.filter((id) => found.get(id) === 'Group');
  for (const groupId of groupIds) await addMembers(ctx.trx, tenantId, groupId, userIds.map((id) => ({ id, type: 'User' as const })));
  const touched = await touchResources(ctx.trx, 'groups', tenantId, groupIds);
  return groupIds.flatMap((id) => {
    const group = touched.get(id);
    return group ? [{ value: id, display: String(group.data.displayName), type: 'direct' }] : [];
  });
}

export async function replaceUser(ctx: CommandContext, command: CommandOf<'user.replace'>): Promise<CommandOutcome> {
  const current = lockedRow(ctx, 'users', command.tenantId, command.data.userId, command.data.ifMatch);
  validateDocument(UserResource, command.data.data);
  requireProfileAttributes(ctx, command.tenantId, UserResource, command.data.data);
  return { ok: true, status: 200, resource: await writeDocument(ctx, 'users', command.tenantId, current, command.data.data) };
}

export async function patchUser(ctx: CommandContext, command: CommandOf<'user.patch'>): Promise<CommandOutcome> {
  const current = lockedRow(ctx, 'users', command.tenantId, command.data.userId, command.data.ifMatch);
  const { doc } = applyPatch(UserResource, current.data, compilePatch(UserResource, command.data.operations));
  requireProfileAttributes(ctx, command.tenantId, UserResource, doc);
  return { ok: true, status: 200, resource: await writeDocument(ctx, 'users', command.tenantId, current, doc) };
}

/** Deleting a user drops its memberships (the database cascades) and gives those groups a new version. */
export async function removeUser(ctx: CommandContext, command: CommandOf<'user.delete'>): Promise<CommandOutcome> {
  const { tenantId, data } = command;
  lockedRow(ctx, 'users', tenantId, data.userId, data.ifMatch);
  await touchResources(ctx.trx, 'groups', tenantId, await groupsContaining(ctx.trx, tenantId, [data.userId]));
  await deleteResource(ctx.trx, 'users', { tenantId, id: data.userId });
  ctx.rows.users.set(keyOf(tenantId, data.userId), undefined);
  return { ok: true, status: 204 };
}
