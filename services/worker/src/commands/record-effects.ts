import { v7 as uuidv7 } from 'uuid';
import {
  findAppliedOutcomes,
  recordLogEntries,
  type Db,
  type Executor,
  type LogEntry,
  type OutboxEntry,
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
  };
}

/**
 * Writes the log lines, failure records and membership events of a transaction's commands, in
 * that transaction: they commit with the change, or vanish with it.
 */
export async function recordEffects(
  trx: Executor,
  effects: readonly CommandEffect[],
  events: readonly RecordedEvent[],
  now: number,
): Promise<void> {
  const outbox = events.map((event): OutboxEntry => ({
    id: event.jti,
    tenantId: event.tenant,
    kind: 'event',
    payload: event,
  }));
  await recordLogEntries(
    trx,
    effects.map((effect) => logEntryOf(effect, now)),
    outbox,
    new Date(now),
  );
}

/** A batch that failed for good: its commands that never committed are logged as not applied. */
export async function recordUnapplied(db: Db, commands: readonly Command[], outcome: CommandOutcome): Promise<void> {
  const applied = await findAppliedOutcomes(
    db,
    commands.map((command) => command.id),
  );
  const unapplied = commands.filter((command) => !applied.has(command.id));
  await db.transaction().execute((trx) =>
    recordEffects(
      trx,
      unapplied.map((command) => ({ command, outcome })),
      [],
      Date.now(),
    ),
  );
}
