import { sql } from 'kysely';
import type { OutcomeSummary } from '@scimflow/jobs';
import type { Executor } from '../database';

export async function findAppliedOutcomes(
  db: Executor,
  commandIds: readonly string[],
): Promise<Map<string, OutcomeSummary>> {
  if (commandIds.length === 0) return new Map();
  // `= any($1)` keeps one statement text whatever the batch size (see prepared-selects.ts).
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
