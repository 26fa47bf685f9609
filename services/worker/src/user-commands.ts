import type { Transaction } from 'kysely';
import { applyPatch, compilePatch, ifMatchSatisfied, jsonEqual, ScimError, UserResource, validateDocument, type StoredResource } from '@scimflow/scim';
import { deleteUser, isUserNameTaken, keyOf, updateUserData, type Database } from '@scimflow/db';
import type { CommandOf, CommandOutcome } from '@scimflow/jobs';

export interface CommandContext {
  readonly trx: Transaction<Database>;
  /** Rows this batch locked, keyed by keyOf(); updated as commands change them, so later commands see earlier ones. */
  readonly users: Map<string, StoredResource | undefined>;
}

export function failed(error: ScimError): CommandOutcome {
  return { ok: false, error: error.toData() };
}

export function userNameTaken(userName?: string): ScimError {
  const name = typeof userName === 'string' ? `userName '${userName}'` : 'userName';
  return new ScimError(409, `${name} is already in use in this tenant`, 'uniqueness');
}

type UserUpdate = CommandOf<'user.replace' | 'user.patch' | 'user.delete'>;

/** Shared checks before any update: the user exists in the tenant, and If-Match holds. */
function lockedUser(ctx: CommandContext, command: UserUpdate): StoredResource {
  const current = ctx.users.get(keyOf(command.tenantId, command.data.userId));
  if (!current) throw ScimError.notFound(`User ${command.data.userId} not found`);
  const { ifMatch } = command.data;
  if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, current.version)) {
    throw new ScimError(412, `If-Match does not match the current version W/"${current.version}"`);
  }
  return current;
}

/** Writes `next` unless nothing changed (no version bump for a no-op, RFC 7644 §3.14). */
async function write(ctx: CommandContext, command: UserUpdate, current: StoredResource, next: StoredResource['data']): Promise<CommandOutcome> {
  if (jsonEqual(current.data, next)) return { ok: true, status: 200, resource: current };
  const newName = next.userName;
  const oldName = current.data.userName;
  const key = { tenantId: command.tenantId, id: command.data.userId };
  if (typeof newName === 'string' && (typeof oldName !== 'string' || newName.toLowerCase() !== oldName.toLowerCase())) {
    if (await isUserNameTaken(ctx.trx, key.tenantId, newName, key.id)) throw userNameTaken(newName);
  }
  const updated = await updateUserData(ctx.trx, key, next);
  ctx.users.set(keyOf(key.tenantId, key.id), updated);
  return { ok: true, status: 200, resource: updated };
}

export async function replaceUser(ctx: CommandContext, command: CommandOf<'user.replace'>): Promise<CommandOutcome> {
  const current = lockedUser(ctx, command);
  validateDocument(UserResource, command.data.data);
  return write(ctx, command, current, command.data.data);
}

export async function patchUser(ctx: CommandContext, command: CommandOf<'user.patch'>): Promise<CommandOutcome> {
  const current = lockedUser(ctx, command);
  const { doc } = applyPatch(UserResource, current.data, compilePatch(UserResource, command.data.operations));
  return write(ctx, command, current, doc);
}

export async function removeUser(ctx: CommandContext, command: CommandOf<'user.delete'>): Promise<CommandOutcome> {
  lockedUser(ctx, command);
  await deleteUser(ctx.trx, { tenantId: command.tenantId, id: command.data.userId });
  ctx.users.set(keyOf(command.tenantId, command.data.userId), undefined);
  return { ok: true, status: 204 };
}
