import type { Kysely, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { insertLogEntries, insertOutbox, logText, type Database, type LogEntry, type OutboxEntry } from '@scimflow/db';
import type { Command, CommandOutcome, FailureRecord, RecordedEvent } from '@scimflow/jobs';
import type { JsonObject, ScimDocument, StoredResource } from '@scimflow/scim';

/** What one command did, for the provisioning log (and, when it failed, the notifier). */
export interface CommandEffect {
  readonly command: Command;
  readonly outcome: CommandOutcome;
  /** The row as it was locked, before the command changed it. */
  readonly before?: StoredResource;
}

const OPERATION: Record<string, string> = { create: 'create', replace: 'replace', patch: 'patch', delete: 'delete' };

function describe(command: Command, outcome: CommandOutcome, before?: StoredResource) {
  const [kind, verb] = command.name.split('.') as [string, string];
  const resourceType = kind === 'user' ? 'User' : 'Group';
  const sent: ScimDocument | undefined = 'data' in command.data && typeof command.data.data === 'object' ? command.data.data : undefined;
  const doc = (outcome.ok ? outcome.resource?.data : undefined) ?? before?.data ?? sent;
  const name = doc?.[resourceType === 'User' ? 'userName' : 'displayName'];
  const externalId = doc?.externalId;
  const resourceId = 'userId' in command.data ? command.data.userId : command.data.groupId;
  return {
    operation: OPERATION[verb] ?? verb,
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
    ...(outcome.ok ? {} : { detail: outcome.error.detail, ...(outcome.error.scimType ? { scimType: outcome.error.scimType } : {}) }),
    ...(command.receivedAt === undefined ? {} : { durationMs: now - command.receivedAt }),
    ...(traceId ? { traceId } : {}),
    commandId: command.id,
  };
}

/** A failed write as the notifier gets it: the log line's facts (same id), nothing else. */
export function failureOf(entry: LogEntry, at: Date): FailureRecord {
  return {
    id: entry.id,
    tenantId: entry.tenantId,
    at: at.toISOString(),
    operation: entry.operation,
    resourceType: entry.resourceType,
    ...(entry.resourceId ? { resourceId: entry.resourceId } : {}),
    ...(entry.resourceName ? { resourceName: logText(entry.resourceName) } : {}),
    status: entry.httpStatus,
    ...(entry.scimType ? { scimType: entry.scimType } : {}),
    ...(entry.detail ? { detail: logText(entry.detail) } : {}),
  };
}

export function failureOutbox(entries: readonly LogEntry[], at: Date): OutboxEntry[] {
  return entries
    .filter((entry) => entry.outcome === 'failure')
    .map((entry) => ({ id: entry.id, tenantId: entry.tenantId, kind: 'failure' as const, payload: failureOf(entry, at) as unknown as JsonObject }));
}

/**
 * Writes the log lines, failure records and membership events of a transaction's commands, in
 * that transaction: they commit with the change, or vanish with it.
 */
export async function recordEffects(trx: Kysely<Database> | Transaction<Database>, effects: readonly CommandEffect[], events: readonly RecordedEvent[], now: number): Promise<void> {
  const entries = effects.map((effect) => logEntryOf(effect, now));
  await insertLogEntries(trx, entries);
  await insertOutbox(trx, [
    ...events.map((event) => ({ id: event.jti, tenantId: event.tenant, kind: 'event' as const, payload: event as unknown as JsonObject })),
    ...failureOutbox(entries, new Date(now)),
  ]);
}
