import {
  createUsersAtOnce,
  failureRecordOf,
  keyOf,
  summarize,
  type Db,
  type PlannedCreation,
  uuidv7,
} from '@scimflow/db';
import {
  activationEvent,
  createdEvent,
  type CommandOf,
  type CommandOutcome,
  type CommittedWrite,
  type RecordedEvent,
} from '@scimflow/jobs';
import { ScimError, UserResource, type StoredResource } from '@scimflow/scim';
import { failed, nameTakenOutcome, requireProfileAttributes, textOf, type CommandContext } from './command-context';
import { logEntryOf } from './record-effects';

type UserCreate = CommandOf<'user.create'>;

/** What the fast path needs to know of the batch. */
export interface CreationRun {
  readonly now: number;
  readonly issuer: string;
  readonly profiles: CommandContext['profiles'];
}

/**
 * Whether a batch can take the one-statement path: only user creations, none a rerun (its
 * applied record could exist), and no tenant with default groups (joining them needs statements
 * of their own). Anything else goes through the batch transaction.
 */
export function canCreateAtOnce(commands: readonly CommandOf<'user.create'>[], run: CreationRun): boolean {
  return commands.every((command) => (run.profiles.get(command.tenantId)?.defaultGroups.length ?? 0) === 0);
}

/**
 * User creations in one statement (see createUsersAtOnce): each command's two possible endings are
 * planned here, and the statement writes the one that happened. A command refused by its
 * tenant's profile is planned as refused either way.
 */
export async function createAtOnce(
  db: Db,
  commands: readonly UserCreate[],
  run: CreationRun,
): Promise<{ outcomes: CommandOutcome[]; committed: CommittedWrite }> {
  const refusals = new Map<string, CommandOutcome>();
  const plans = commands.map((command) => {
    const refused = refusalOf(command, run);
    if (refused) refusals.set(command.id, refused);
    return plan(command, refused, run);
  });
  const inserted = await createUsersAtOnce(
    db,
    plans.toSorted((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)),
  );
  const outcomes = commands.map((command): CommandOutcome => {
    const resource = inserted.get(keyOf(command.tenantId, command.data.userId));
    if (resource) return { ok: true, status: 201, resource };
    return refusals.get(command.id) ?? nameTakenOutcome('users', textOf(command.data.data.userName));
  });
  const eventTenants = commands.filter((c) => inserted.has(keyOf(c.tenantId, c.data.userId))).map((c) => c.tenantId);
  return {
    outcomes,
    committed: { eventTenants: [...new Set(eventTenants)], failures: outcomes.some((outcome) => !outcome.ok) },
  };
}

/** Sorted by tenant and userName, as the batch transaction does: concurrent batches lock index entries in one order. */
const sortKey = (p: PlannedCreation) => `${p.user.tenantId}/${(textOf(p.user.data.userName) ?? '').toLowerCase()}`;

function refusalOf(command: UserCreate, run: CreationRun): CommandOutcome | undefined {
  try {
    requireProfileAttributes(run, command.tenantId, UserResource, command.data.data);
    return undefined;
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    return failed(error);
  }
}

function plan(command: UserCreate, refused: CommandOutcome | undefined, run: CreationRun): PlannedCreation {
  const user = { tenantId: command.tenantId, id: command.data.userId, data: command.data.data };
  const taken = refused ?? nameTakenOutcome('users', textOf(command.data.data.userName));
  const takenLog = logEntryOf({ command, outcome: taken }, run.now);
  const ending = { outcome: summarize(taken), log: takenLog, failure: failureRecordOf(takenLog, new Date(run.now)) };
  // A refused command inserts nothing: both of its endings are the refusal.
  if (refused) return { user, insert: false, commandId: command.id, created: { ...ending, events: [] }, taken: ending };
  const resource: StoredResource = { id: user.id, data: user.data, version: 1, created: '', lastModified: '' };
  const createdOutcome: CommandOutcome = { ok: true, status: 201, resource };
  return {
    user,
    insert: true,
    commandId: command.id,
    created: {
      outcome: summarize(createdOutcome),
      log: logEntryOf({ command, outcome: createdOutcome }, run.now),
      events: eventsOf(command, run),
    },
    taken: ending,
  };
}

/** The events of a new user (as ChangeEvents.created makes them). */
function eventsOf(command: UserCreate, run: CreationRun): RecordedEvent[] {
  const source = {
    issuer: run.issuer,
    tenantId: command.tenantId,
    txn: command.id,
    newId: () => uuidv7(),
    now: run.now,
  };
  const ref = { type: 'User' as const, id: command.data.userId, data: command.data.data };
  const events = [createdEvent(source, ref)];
  if (command.data.data.active === false) events.push(activationEvent(source, ref, false));
  return events;
}
