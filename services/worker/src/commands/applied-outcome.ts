import { findResource, type Executor } from '@scimflow/db';
import type { Command, CommandOutcome, OutcomeSummary } from '@scimflow/jobs';

export function summarize(outcome: CommandOutcome): OutcomeSummary {
  if (!outcome.ok) return { ok: false, error: { ...outcome.error } };
  return outcome.resource
    ? { ok: true, status: outcome.status, resourceId: outcome.resource.id }
    : { ok: true, status: outcome.status };
}

/** A command BullMQ ran again after it was committed: answer what was answered, with the resource as it is now. */
export async function replayOutcome(db: Executor, command: Command, summary: OutcomeSummary): Promise<CommandOutcome> {
  if (!summary.ok) return { ok: false, error: summary.error };
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
