import type { Kysely, Transaction } from 'kysely';
import { findResource, type Database } from '@scimflow/db';
import { isJsonObject, type JsonObject, type ScimErrorData } from '@scimflow/scim';
import type { Command, CommandOutcome } from '@scimflow/jobs';

/** What applied_commands keeps of an outcome: enough to answer a replay, not the whole resource. */
export type OutcomeSummary =
  { ok: true; status: 200 | 201 | 204; resourceId?: string } | { ok: false; error: ScimErrorData };

export function summarize(outcome: CommandOutcome): JsonObject {
  if (!outcome.ok) return { ok: false, error: { ...outcome.error } };
  return outcome.resource
    ? { ok: true, status: outcome.status, resourceId: outcome.resource.id }
    : { ok: true, status: outcome.status };
}

/** A command BullMQ ran again after it was committed: answer what was answered, with the resource as it is now. */
export async function replayOutcome(
  db: Kysely<Database> | Transaction<Database>,
  command: Command,
  stored: JsonObject,
): Promise<CommandOutcome> {
  const summary = stored as unknown as OutcomeSummary;
  if (!summary.ok)
    return {
      ok: false,
      error: isJsonObject(stored.error) ? summary.error : { status: 500, detail: 'Unreadable stored outcome' },
    };
  if (summary.status === 204 || !summary.resourceId) return { ok: true, status: summary.status };
  const users = command.name.startsWith('user.');
  const resource = await findResource(
    db,
    users ? 'users' : 'groups',
    { tenantId: command.tenantId, id: summary.resourceId },
    users,
  );
  if (!resource)
    return { ok: false, error: { status: 404, detail: `${users ? 'User' : 'Group'} ${summary.resourceId} not found` } };
  return { ok: true, status: summary.status, resource };
}
