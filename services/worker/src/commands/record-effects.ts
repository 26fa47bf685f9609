import {
  findAppliedOutcomes,
  recordWriteEffects,
  type AppliedRecord,
  type Db,
  type LogEntry,
  type Trx,
  uuidv7,
} from '@scimflow/db';
import { COMMAND_KIND, type Command, type CommandOutcome, type RecordedEvent } from '@scimflow/jobs';
import type { ScimDocument, StoredResource } from '@scimflow/scim';

/** What one command did, for the provisioning log (and, when it failed, the notifier). */
export interface CommandEffect {
  readonly command: Command;
  readonly outcome: CommandOutcome;
  /** The row as it was locked, before the command changed it. */
  readonly before?: StoredResource;
}

function describe(command: Command, outcome: CommandOutcome, before?: StoredResource) {
  const { resourceType, operation } = COMMAND_KIND[command.name];
  const sent: ScimDocument | undefined =
    'data' in command.data && typeof command.data.data === 'object' ? command.data.data : undefined;
  const doc = (outcome.ok ? outcome.resource?.data : undefined) ?? before?.data ?? sent;
  const name = doc?.[resourceType === 'User' ? 'userName' : 'displayName'];
  const externalId = doc?.externalId;
  const resourceId = 'userId' in command.data ? command.data.userId : command.data.groupId;
  return {
    operation,
    resourceType,
    resourceId,
    ...(typeof name === 'string' ? { resourceName: name } : {}),
    ...(typeof externalId === 'string' ? { externalId } : {}),
  };
}

/** W3C traceparent `00-<trace id>-<span id>-<flags>`: the trace id is what Jaeger searches by. */
function traceIdOf(traceparent: string | undefined): string | undefined {
  const traceId = traceparent?.split('-')[1];
  return traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : undefined;
}

export function logEntryOf({ command, outcome, before }: CommandEffect, now: number): LogEntry {
  const described = describe(command, outcome, before);
  const traceId = traceIdOf(command.traceparent);
  return {
    tenantId: command.tenantId,
    id: uuidv7(),
    ...described,
    outcome: outcome.ok ? 'success' : 'failure',
    httpStatus: outcome.ok ? outcome.status : outcome.error.status,
    ...(outcome.ok
      ? {}
      : { detail: outcome.error.detail, ...(outcome.error.scimType ? { scimType: outcome.error.scimType } : {}) }),
    ...(command.receivedAt === undefined ? {} : { durationMs: now - command.receivedAt }),
    ...(traceId ? { traceId } : {}),
    commandId: command.id,
    ...(command.requestId ? { requestId: command.requestId } : {}),
  };
}

/**
 * Writes what a transaction's commands did besides the change itself — applied-command records,
 * log lines, failure records and membership events — in that transaction (one statement): they
 * commit with the change, or vanish with it.
 */
export async function recordEffects(
  trx: Trx,
  effects: { applied: readonly AppliedRecord[]; done: readonly CommandEffect[]; events: readonly RecordedEvent[] },
  now: number,
): Promise<void> {
  await recordWriteEffects(trx, {
    applied: effects.applied,
    log: effects.done.map((effect) => logEntryOf(effect, now)),
    events: effects.events,
    at: new Date(now),
  });
}

/** Commands that were not applied (their transaction rolled back), logged in a transaction of their own. */
export async function recordRefusals(db: Db, refused: readonly CommandEffect[], now: number): Promise<void> {
  if (refused.length === 0) return;
  await db.transaction().execute((trx) => recordEffects(trx, { applied: [], done: refused, events: [] }, now));
}

/** A batch that failed for good: its commands that never committed are logged as not applied. */
export async function recordUnapplied(db: Db, commands: readonly Command[], outcome: CommandOutcome): Promise<void> {
  const applied = await findAppliedOutcomes(
    db,
    commands.map((command) => command.id),
  );
  await recordRefusals(
    db,
    commands.filter((command) => !applied.has(command.id)).map((command) => ({ command, outcome })),
    Date.now(),
  );
}
