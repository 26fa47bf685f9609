import { ScimError, type StoredResource } from '@scimflow/scim';
import { classifyWriteError, isDatabaseUnavailable, type Db, type Trx } from '@scimflow/db';
import type { Command, CommandOf, CommandOutcome, CommittedWrite, ItemResult } from '@scimflow/jobs';
import { canCreateAtOnce, createAtOnce } from './create-users-at-once';
import { recordRefusals } from './record-effects';
import { failed, nameTakenOutcome, textOf } from './command-context';
import {
  applyInTransaction,
  commitMargin,
  CommandRefused,
  DeadlinePassed,
  expired,
  NeedsSavepoints,
  profilesOf,
  type ProfilesLookup,
  type Run,
} from './batch-transaction';

const MAX_CONFLICT_RETRIES = 3;
export interface ApplyOptions {
  /** `iss` of the events written (the service's public URL). */
  readonly issuer?: string;
  readonly now?: number;
  /** Tenants' profiles (cached by the worker); by default read in the batch's transaction. */
  readonly profiles?: ProfilesLookup;
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

/** Rolled back for a reason that may pass: 503, and the client retries. */
function notApplied(why: string): CommandOutcome {
  return { ok: false, error: new ScimError(503, `${why}; it was not applied. Try again`).toData(), unapplied: true };
}
