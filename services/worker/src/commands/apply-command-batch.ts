import { ScimError, type StoredResource } from '@scimflow/scim';
import {
  classifyWriteError,
  findAppliedOutcomes,
  findTenantSettings,
  groupsOfUsers,
  isDatabaseUnavailable,
  keyOf,
  lockResources,
  releaseSavepoint,
  rollbackToSavepoint,
  savepoint,
  replayOutcome,
  summarize,
  tenantProfile,
  type Db,
  type Executor,
  type Trx,
  type ResourceTable,
  type TenantProfile,
} from '@scimflow/db';
import type {
  Command,
  CommandName,
  CommandOf,
  CommandOutcome,
  CommittedWrite,
  ItemResult,
  OutcomeSummary,
} from '@scimflow/jobs';
import { canCreateAtOnce, createAtOnce } from './create-users-at-once';
import { recordEffects, recordRefusals } from './record-effects';
import { failed, isSlotOf, nameTakenOutcome, textOf, type CommandContext, type CommandSlot } from './command-context';
import { createGroups, patchGroup, removeGroup, replaceGroup } from './group-commands';
import { createUsers, patchUser, removeUser, replaceUser } from './user-commands';

const MAX_CONFLICT_RETRIES = 3;
/**
 * A batch commits only if this much is left before its deadline (a quarter of the wait for very
 * short reply timeouts). The ingress answers 503 at the deadline, after checking
 * applied_commands; refusing to commit this close to it means no commit lands after that check
 * (COMMIT takes milliseconds, not a second). Hosts' clocks must agree to well within this.
 */
export const COMMIT_MARGIN_MS = 1_000;

function commitMargin(commands: readonly Command[], deadline: number): number {
  const received = Math.min(...commands.map((command) => command.receivedAt ?? deadline));
  return Math.max(0, Math.min(COMMIT_MARGIN_MS, (deadline - received) / 4));
}

export interface ApplyOptions {
  /** `iss` of the events written (the service's public URL). */
  readonly issuer?: string;
  readonly now?: number;
  /** Tenants' profiles (cached by the worker); by default read in the batch's transaction. */
  readonly profiles?: (tenantIds: readonly string[]) => Promise<ReadonlyMap<string, TenantProfile>>;
  /** A rerun of a job (BullMQ retried it): look up which commands already committed. */
  readonly rerun?: boolean;
  /** Told after each transaction that committed: which tenants got events, and whether failures were recorded. */
  readonly onCommitted?: (committed: CommittedWrite) => void;
  /** Told of an exception of our own code; the command it broke is answered 500, the others are unaffected. */
  readonly onBug?: (error: unknown, command: Command) => void;
  /**
   * Told when the database went away while a write was committing (in COMMIT, or during a
   * single-statement write): those commands may or may not have committed.
   */
  readonly onUncertainCommit?: () => void;
}

/**
 * Runs a transaction, telling `onUncertain` when the connection failed after its work was done —
 * in COMMIT, whose result was lost. Before that point a failure means it rolled back.
 */
async function committed<T>(db: Db, work: (trx: Trx) => Promise<T>, onUncertain?: () => void): Promise<T> {
  let worked = false;
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await work(trx);
      worked = true;
      return result;
    });
  } catch (error) {
    if (worked && isDatabaseUnavailable(error)) onUncertain?.();
    throw error;
  }
}

/** Thrown inside a transaction that would commit too close to its deadline: it rolls back. */
class DeadlinePassed extends Error {}

/**
 * Applies a batch of commands in one transaction: one commit (one WAL flush) for all of them.
 * If that transaction fails (a uniqueness race with another worker, a deadlock, a command that
 * breaks), every command is retried in a transaction of its own, so one can't fail the others.
 * A per-command error result means "not applied, retry the job"; replays are recognised.
 */
export async function applyCommandBatch(
  db: Db,
  commands: readonly Command[],
  deadline: number,
  options: ApplyOptions = {},
): Promise<ItemResult<CommandOutcome>[]> {
  const run: Run = {
    deadline,
    now: options.now ?? Date.now(),
    issuer: options.issuer ?? 'scimflow',
    checkReplays: options.rerun ?? false,
    ...(options.profiles ? { profiles: options.profiles } : {}),
  };
  const creations = await createdAtOnce(db, commands, run, options);
  if (creations) return creations.map((value) => ({ value }));
  // First without savepoints (two round trips per update saved); a command refused after it may
  // have written something rolls that attempt back, and the batch runs again with them.
  for (const savepoints of commands.length > 1 ? [false, true] : []) {
    try {
      const { outcomes, committed: written } = await committed(
        db,
        (trx) => applyInTransaction(trx, commands, { ...run, savepoints }),
        options.onUncertainCommit,
      );
      options.onCommitted?.(written);
      return outcomes.map((value) => ({ value }));
    } catch (error) {
      if (error instanceof DeadlinePassed) return refuseAll(db, commands, expired(), run, options.onCommitted);
      if (error instanceof NeedsSavepoints) continue;
      // Otherwise one transaction per command, so whatever broke fails only its own command.
      break;
    }
  }
  // The batch transaction or the one-statement create may have failed in COMMIT: look up what
  // committed. A lone command of another kind ran nothing yet, so only a rerun job needs to look.
  const ranBefore = commands.length > 1 || commands.some((command) => command.name === 'user.create');
  const aloneRun = ranBefore ? { ...run, checkReplays: true } : run;
  const results: ItemResult<CommandOutcome>[] = [];
  for (const command of commands) results.push(await applyAlone(db, command, aloneRun, options));
  return results;
}

/**
 * The common case of an initial sync — a batch of nothing but user creations, on its first run —
 * in one statement (see createAtOnce); undefined when the batch doesn't qualify or the statement
 * failed (then the batch transaction, or one transaction per command, decides).
 */
async function createdAtOnce(
  db: Db,
  commands: readonly Command[],
  run: Run,
  options: ApplyOptions,
): Promise<CommandOutcome[] | undefined> {
  const creates = commands.filter((command): command is CommandOf<'user.create'> => command.name === 'user.create');
  if (run.checkReplays || creates.length !== commands.length || creates.length === 0) return undefined;
  // A single statement commits when it ends: it may only start while that is safely before the deadline.
  if (Date.now() > run.deadline - commitMargin(commands, run.deadline)) return undefined;
  const tenantIds = [...new Set(creates.map((command) => command.tenantId))];
  const profiles = run.profiles ? await run.profiles(tenantIds) : await profilesOf(db, tenantIds, run);
  const creationRun = { now: run.now, issuer: run.issuer, profiles };
  if (!canCreateAtOnce(creates, creationRun)) return undefined;
  try {
    const { outcomes, committed: written } = await createAtOnce(db, creates, creationRun);
    options.onCommitted?.(written);
    return outcomes;
  } catch (error) {
    // One statement commits as it ends: losing the connection during it leaves that unknown.
    if (isDatabaseUnavailable(error)) options.onUncertainCommit?.();
    return undefined;
  }
}

interface Run {
  readonly deadline: number;
  readonly now: number;
  readonly issuer: string;
  /** Whether some commands may have committed already (a rerun, or after an unclear failure). */
  readonly checkReplays: boolean;
  readonly profiles?: ApplyOptions['profiles'];
  /** In a batch: take a savepoint before each update, so a refused one is undone alone. */
  readonly savepoints?: boolean;
}

/** A command of a batch run without savepoints was refused: the attempt rolls back, to run again with them. */
class NeedsSavepoints extends Error {}

/** Commands whose transaction rolled back, answered with one outcome and logged on their own. */
async function refuseAll(
  db: Db,
  commands: readonly Command[],
  outcome: CommandOutcome,
  run: Run,
  onCommitted: ApplyOptions['onCommitted'],
  before?: StoredResource,
): Promise<ItemResult<CommandOutcome>[]> {
  try {
    await recordRefusals(
      db,
      commands.map((command) => ({ command, outcome, ...(before ? { before } : {}) })),
      run.now,
    );
    onCommitted?.({ eventTenants: [], failures: true });
    return commands.map(() => ({ value: outcome }));
  } catch (error) {
    return commands.map(() => ({ error }));
  }
}

/**
 * One command in a transaction of its own. Whatever Postgres or our code throws becomes this
 * command's outcome (its transaction rolled back, so a failure is the truth); only a database
 * that doesn't answer leaves it unsettled, for the job to retry.
 */
async function applyAlone(
  db: Db,
  command: Command,
  firstRun: Run,
  { onBug, onCommitted, onUncertainCommit }: ApplyOptions,
): Promise<ItemResult<CommandOutcome>> {
  let run = firstRun;
  const refused = async (outcome: CommandOutcome, before?: StoredResource) =>
    (await refuseAll(db, [command], outcome, run, onCommitted, before))[0] ?? { value: outcome };
  for (let attempt = 1; ; attempt++) {
    try {
      const { outcomes, committed: written } = await committed(
        db,
        (trx) => applyInTransaction(trx, [command], run),
        onUncertainCommit,
      );
      const [value] = outcomes;
      if (!value) throw new Error('no outcome for a command');
      onCommitted?.(written);
      return { value };
    } catch (error) {
      if (error instanceof DeadlinePassed) return refused(expired());
      // Run without the look-up, a command an earlier job applied fails on its applied-command key,
      // or is refused by its own effect: look it up before answering anything but success.
      if (!run.checkReplays && !isDatabaseUnavailable(error)) {
        run = { ...run, checkReplays: true };
        continue;
      }
      if (error instanceof CommandRefused) return refused(failed(error.refusal), error.before);
      const failure = classifyWriteError(error);
      switch (failure.kind) {
        case 'retry':
          if (attempt < MAX_CONFLICT_RETRIES) continue;
          return refused(notApplied('It kept conflicting with concurrent writes'));
        case 'nameTaken':
          return refused(nameTakenOutcome(failure.table, nameOf(command)));
        case 'missingMember':
          return refused(
            failed(ScimError.badRequest('invalidValue', 'A member does not exist in this tenant; nothing was applied')),
          );
        case 'badValue':
          return refused(
            failed(
              ScimError.badRequest('invalidValue', 'A value in the request cannot be stored; nothing was applied'),
            ),
          );
        case 'timeout':
          return refused(notApplied('The database did not finish it in time'));
        case 'refused':
          onBug?.(error, command);
          return refused(
            failed(
              new ScimError(500, `The database refused the request (SQLSTATE ${failure.code}); it was not applied`),
            ),
          );
        case 'bug':
          onBug?.(error, command);
          return refused(failed(new ScimError(500, 'Internal error; the request was not applied')));
        case 'unavailable':
          // Maybe committed, maybe not: the job is retried, and the rerun answers it either way.
          return { error };
      }
    }
  }
}

const TABLE: Record<CommandName, ResourceTable> = {
  'user.create': 'users',
  'user.replace': 'users',
  'user.patch': 'users',
  'user.delete': 'users',
  'group.create': 'groups',
  'group.replace': 'groups',
  'group.patch': 'groups',
  'group.delete': 'groups',
};

type UpdateName = Exclude<CommandName, 'user.create' | 'group.create'>;

/** A command of the batch: what it is, what became of it, and the row it updates as it was locked. */
interface BatchEntry extends CommandSlot {
  /** Applied by an earlier run of this job: answered from its record, logged back then. */
  replayed: boolean;
  before?: StoredResource;
}

function isUpdate(slot: BatchEntry): slot is BatchEntry & CommandSlot<UpdateName> {
  return slot.command.name !== 'user.create' && slot.command.name !== 'group.create';
}

function targetOf(slot: CommandSlot<UpdateName>): { tenantId: string; id: string } {
  const { command } = slot;
  return { tenantId: command.tenantId, id: 'userId' in command.data ? command.data.userId : command.data.groupId };
}

async function applyInTransaction(
  trx: Trx,
  commands: readonly Command[],
  run: Run,
): Promise<{ outcomes: CommandOutcome[]; committed: CommittedWrite }> {
  const entries: BatchEntry[] = commands.map((command) => ({ command, replayed: false }));
  // A first run's commands are new (the applied_commands key would refuse a duplicate anyway).
  const replays = run.checkReplays
    ? await findAppliedOutcomes(
        trx,
        commands.map((command) => command.id),
      )
    : new Map<string, OutcomeSummary>();
  for (const entry of entries) {
    const stored = replays.get(entry.command.id);
    entry.replayed = stored !== undefined;
    if (stored) entry.outcome = await replayOutcome(trx, entry.command, stored);
    else if (run.deadline < run.now) entry.outcome = expired();
  }
  const live = entries.filter((entry) => !entry.replayed && !entry.outcome);
  const updates = live.filter(isUpdate);

  const tenantIds = [...new Set(live.map((entry) => entry.command.tenantId))];
  const profiles = tenantIds.length === 0 ? new Map<string, TenantProfile>() : await profilesOf(trx, tenantIds, run);
  const lock = (table: ResourceTable) =>
    lockResources(trx, table, updates.filter((entry) => TABLE[entry.command.name] === table).map(targetOf));
  // Groups before users, always: one lock order for every batch.
  const groups = await lock('groups');
  const users = await lock('users');
  for (const entry of updates) {
    const { tenantId, id } = targetOf(entry);
    const row = (TABLE[entry.command.name] === 'users' ? users : groups).get(keyOf(tenantId, id));
    if (row) entry.before = row;
  }
  const ctx: CommandContext = {
    trx,
    rows: { users, groups },
    profiles,
    events: [],
    issuer: run.issuer,
    now: run.now,
  };

  await createGroups(
    ctx,
    live.filter((entry) => isSlotOf(entry, 'group.create')),
  );
  await createUsers(
    ctx,
    live.filter((entry) => isSlotOf(entry, 'user.create')),
  );
  for (const [index, entry] of updates.entries()) {
    const mode: AtomicMode = commands.length === 1 ? 'alone' : run.savepoints ? `scimflow_${index}` : 'optimistic';
    entry.outcome = await applyAtomically(ctx, entry, mode);
  }
  await attachUserGroups(trx, updates);

  const settled = entries.map((entry) => ({ ...entry, outcome: entry.outcome ?? noOutcome() }));
  // Replays were logged when they first applied; everything else (expired commands too) is logged
  // now. Expired commands were never applied, so they get no applied-command record.
  await recordEffects(
    trx,
    {
      applied: live.map(({ command, outcome }) => ({
        commandId: command.id,
        tenantId: command.tenantId,
        outcome: summarize(outcome ?? noOutcome()),
      })),
      done: settled.filter((entry) => !entry.replayed),
      events: ctx.events,
    },
    run.now,
  );
  if (live.length > 0 && Date.now() > run.deadline - commitMargin(commands, run.deadline)) throw new DeadlinePassed();
  return {
    outcomes: settled.map((entry) => entry.outcome),
    committed: {
      eventTenants: [...new Set(ctx.events.map((event) => event.tenant))],
      failures: settled.some((entry) => !entry.replayed && !entry.outcome.ok),
    },
  };
}

async function profilesOf(
  trx: Executor,
  tenantIds: readonly string[],
  run: Run,
): Promise<ReadonlyMap<string, TenantProfile>> {
  if (run.profiles) return run.profiles(tenantIds);
  const settings = await findTenantSettings(trx, tenantIds);
  return new Map([...settings].map(([id, value]) => [id, tenantProfile(value)]));
}

/** A refused command in a transaction of its own: the transaction rolls back, and its refusal is recorded apart. */
class CommandRefused extends Error {
  constructor(
    readonly refusal: ScimError,
    /** The row as it was locked: its names go into the log line. */
    readonly before: StoredResource | undefined,
  ) {
    super(refusal.message);
  }
}

/** How an update is undone if refused: its own transaction, the batch attempt, or a savepoint of that name. */
type AtomicMode = 'alone' | 'optimistic' | `scimflow_${number}`;

/**
 * One update, all or nothing (RFC 7644 §3.5.2: a PATCH is atomic). A command refused after it
 * wrote something is undone: alone, by rolling its transaction back; in a batch, back to a
 * savepoint taken before it (its rows and events in the batch's view restored too), or, in a
 * batch run without savepoints (`optimistic`), by rolling the attempt back to run it with them.
 */
async function applyAtomically(
  ctx: CommandContext,
  entry: CommandSlot<UpdateName> & { readonly before?: StoredResource },
  mode: AtomicMode,
): Promise<CommandOutcome> {
  const before = { users: new Map(ctx.rows.users), groups: new Map(ctx.rows.groups), events: ctx.events.length };
  const savepointName = mode === 'alone' || mode === 'optimistic' ? undefined : mode;
  if (savepointName) await savepoint(ctx.trx, savepointName);
  try {
    const outcome = await applyUpdate(ctx, entry);
    if (savepointName) await releaseSavepoint(ctx.trx, savepointName);
    return outcome;
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    if (mode === 'optimistic') throw new NeedsSavepoints();
    if (!savepointName) throw new CommandRefused(error, entry.before);
    await rollbackToSavepoint(ctx.trx, savepointName);
    for (const table of ['users', 'groups'] as const) {
      ctx.rows[table].clear();
      for (const [key, row] of before[table]) ctx.rows[table].set(key, row);
    }
    ctx.events.length = before.events;
    return failed(error);
  }
}

function applyUpdate(ctx: CommandContext, { command }: CommandSlot<UpdateName>): Promise<CommandOutcome> {
  switch (command.name) {
    case 'user.replace':
      return replaceUser(ctx, command);
    case 'user.patch':
      return patchUser(ctx, command);
    case 'user.delete':
      return removeUser(ctx, command);
    case 'group.replace':
      return replaceGroup(ctx, command);
    case 'group.patch':
      return patchGroup(ctx, command);
    case 'group.delete':
      return removeGroup(ctx, command);
  }
}

/** Updated users are answered with their (derived, read-only) groups, read once per tenant. */
async function attachUserGroups(trx: Executor, updates: readonly CommandSlot[]): Promise<void> {
  const byTenant = new Map<string, { slot: CommandSlot; resource: StoredResource }[]>();
  for (const slot of updates) {
    const { outcome, command } = slot;
    if (TABLE[command.name] !== 'users' || !outcome?.ok || !outcome.resource) continue;
    byTenant.set(command.tenantId, [...(byTenant.get(command.tenantId) ?? []), { slot, resource: outcome.resource }]);
  }
  for (const [tenantId, answered] of byTenant) {
    const groups = await groupsOfUsers(
      trx,
      tenantId,
      answered.map(({ resource }) => resource.id),
    );
    for (const { slot, resource: answer } of answered) {
      const mine = groups.get(answer.id);
      const { derived: _stale, ...resource } = answer;
      if (slot.outcome?.ok)
        slot.outcome = { ...slot.outcome, resource: mine ? { ...resource, derived: { groups: mine } } : resource };
    }
  }
}

function nameOf(command: Command): string | undefined {
  switch (command.name) {
    case 'user.create':
    case 'user.replace':
      return textOf(command.data.data.userName);
    case 'group.create':
    case 'group.replace':
      return textOf(command.data.data.displayName);
    default:
      return undefined;
  }
}

/** The ingress has already answered 503 for this command; applying it now would surprise the client. */
function expired(): CommandOutcome {
  const error = new ScimError(503, 'The command expired before a worker could apply it; it was not applied');
  return { ok: false, error: error.toData(), unapplied: true };
}

/** Rolled back for a reason that may pass: 503, and the client retries. */
function notApplied(why: string): CommandOutcome {
  return { ok: false, error: new ScimError(503, `${why}; it was not applied. Try again`).toData(), unapplied: true };
}

function noOutcome(): CommandOutcome {
  return failed(new ScimError(500, 'Command produced no outcome'));
}
