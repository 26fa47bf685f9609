import { sql } from 'kysely';
import type { Command, CommandOutcome, OutcomeSummary } from '@scimflow/jobs';
import { findResource } from './resource-repository';
import type { Executor } from '../database';

export async function findAppliedOutcomes(
  db: Executor,
  commandIds: readonly string[],
): Promise<Map<string, OutcomeSummary>> {
  if (commandIds.length === 0) return new Map();
  // `= any($1)` keeps one statement text whatever the batch size (see prepared-statements.ts).
  const rows = await db
    .selectFrom('applied_commands')
    .select(['command_id', 'outcome'])
    .where(sql<boolean>`command_id = any(${commandIds}::uuid[])`)
    .execute();
  return new Map(rows.map((row) => [row.command_id, row.outcome]));
}

export async function recordAppliedCommands(
  trx: Executor,
  commands: readonly { commandId: string; tenantId: string; outcome: OutcomeSummary }[],
): Promise<void> {
  if (commands.length === 0) return;
  await trx
    .insertInto('applied_commands')
    .values(
      commands.map((c) => ({ command_id: c.commandId, tenant_id: c.tenantId, outcome: JSON.stringify(c.outcome) })),
    )
    .execute();
}

/** Retries happen within minutes; a day of history is plenty to recognise a replayed job. */
export async function pruneAppliedCommands(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom('applied_commands').where('applied_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function summarize(outcome: CommandOutcome): OutcomeSummary {
  if (!outcome.ok) return { ok: false, error: { ...outcome.error } };
  return outcome.resource
    ? { ok: true, status: outcome.status, resourceId: outcome.resource.id }
    : { ok: true, status: outcome.status };
}

/** A command that committed earlier: answer what was answered, with the resource as it is now. */
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

/** What a command came to if it committed (a replay of its answer), or undefined if it never did. */
export async function appliedOutcomeOf(db: Executor, command: Command): Promise<CommandOutcome | undefined> {
  const summary = (await findAppliedOutcomes(db, [command.id])).get(command.id);
  return summary ? replayOutcome(db, command, summary) : undefined;
}
