import type { Transaction } from 'kysely';
import { ScimError } from '@scimflow/scim';
import {
  findAppliedOutcomes,
  insertUsers,
  keyOf,
  lockUsers,
  PgCode,
  pgConstraint,
  pgErrorCode,
  recordAppliedCommands,
  isDataException,
  type Database,
  type Db,
} from '@scimflow/db';
import type { Command, CommandOf, CommandOutcome, ItemResult } from '@scimflow/jobs';
import { replayOutcome, summarize } from './applied-outcome';
import { failed, patchUser, removeUser, replaceUser, userNameTaken, type CommandContext } from './user-commands';

const MAX_CONFLICT_RETRIES = 3;

/**
 * Applies a batch of commands in one transaction: one commit (one WAL flush) for all of them.
 * If that transaction fails (a uniqueness race with another worker, a deadlock, a command that
 * breaks), every command is retried in a transaction of its own, so one can't fail the others.
 * A per-command error result means "not applied, retry the job"; replays are recognised.
 */
export async function applyCommandBatch(db: Db, commands: readonly Command[], deadline: number, now = Date.now()): Promise<ItemResult<CommandOutcome>[]> {
  if (commands.length > 1) {
    try {
      const outcomes = await db.transaction().execute((trx) => applyInTransaction(trx, commands, deadline, now));
      return outcomes.map((value) => ({ value }));
    } catch {
      // fall through to one transaction per command
    }
  }
  const results: ItemResult<CommandOutcome>[] = [];
  for (const command of commands) results.push(await applyAlone(db, command, deadline, now));
  return results;
}

async function applyAlone(db: Db, command: Command, deadline: number, now: number): Promise<ItemResult<CommandOutcome>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [value] = await db.transaction().execute((trx) => applyInTransaction(trx, [command], deadline, now));
      if (!value) throw new Error('no outcome for a command');
      return { value };
    } catch (error) {
      const code = pgErrorCode(error);
      const constraint = pgConstraint(error);
      const retryable =
        code === PgCode.deadlockDetected ||
        code === PgCode.serializationFailure ||
        // Another worker committed this very command meanwhile; the retry answers it as a replay.
        (code === PgCode.uniqueViolation && constraint === 'applied_commands_pkey');
      if (retryable && attempt < MAX_CONFLICT_RETRIES) continue;
      if (code === PgCode.uniqueViolation && constraint === 'users_user_name_key') {
        return { value: failed(userNameTaken(userNameOf(command))) };
      }
      // A value Postgres won't store: retrying can't help, and it is the request's fault.
      if (isDataException(error)) return { value: failed(ScimError.badRequest('invalidValue', 'A value in the request cannot be stored')) };
      // Anything else (database unreachable...) is not applied; the job is retried until its deadline.
      return { error };
    }
  }
}

async function applyInTransaction(trx: Transaction<Database>, commands: readonly Command[], deadline: number, now: number): Promise<CommandOutcome[]> {
  const outcomes: (CommandOutcome | undefined)[] = new Array(commands.length);
  const replays = await findAppliedOutcomes(trx, commands.map((command) => command.id));
  const live: number[] = [];
  for (const [index, command] of commands.entries()) {
    const stored = replays.get(command.id);
    if (stored) outcomes[index] = await replayOutcome(trx, command, stored);
    else if (deadline < now) outcomes[index] = expired();
    else live.push(index);
  }

  const updates = live.filter((index) => commands[index]?.name !== 'user.create');
  const users = await lockUsers(
    trx,
    updates.map((index) => {
      const command = commands[index] as Exclude<Command, CommandOf<'user.create'>>;
      return { tenantId: command.tenantId, id: command.data.userId };
    }),
  );
  await createUsers(trx, live.filter((index) => commands[index]?.name === 'user.create'), commands, outcomes);

  const ctx: CommandContext = { trx, users };
  for (const index of updates) {
    try {
      outcomes[index] = await applyUpdate(ctx, commands[index] as Command);
    } catch (error) {
      // Domain errors are detected before anything is written, so they fail just this command.
      if (!(error instanceof ScimError)) throw error;
      outcomes[index] = failed(error);
    }
  }

  await recordAppliedCommands(
    trx,
    live.map((index) => {
      const command = commands[index] as Command;
      return { commandId: command.id, tenantId: command.tenantId, outcome: summarize(outcomes[index] as CommandOutcome) };
    }),
  );
  return outcomes.map((outcome) => outcome ?? failed(new ScimError(500, 'Command produced no outcome')));
}

/** All creates of the batch in one INSERT, sorted so concurrent batches take index locks in one order. */
async function createUsers(trx: Transaction<Database>, indexes: number[], commands: readonly Command[], outcomes: (CommandOutcome | undefined)[]): Promise<void> {
  const creates = indexes.map((index) => ({ index, command: commands[index] as CommandOf<'user.create'> }));
  const sortKey = (c: CommandOf<'user.create'>) => `${c.tenantId}/${String(c.data.data.userName).toLowerCase()}`;
  creates.sort((a, b) => (sortKey(a.command) < sortKey(b.command) ? -1 : 1));
  const inserted = await insertUsers(
    trx,
    creates.map(({ command }) => ({ tenantId: command.tenantId, id: command.data.userId, data: command.data.data })),
  );
  for (const { index, command } of creates) {
    const resource = inserted.get(keyOf(command.tenantId, command.data.userId));
    outcomes[index] = resource ? { ok: true, status: 201, resource } : failed(userNameTaken(userNameOf(command)));
  }
}

function applyUpdate(ctx: CommandContext, command: Command): Promise<CommandOutcome> {
  switch (command.name) {
    case 'user.replace':
      return replaceUser(ctx, command);
    case 'user.patch':
      return patchUser(ctx, command);
    case 'user.delete':
      return removeUser(ctx, command);
    case 'user.create':
      throw new Error('creates are applied in bulk');
  }
}

function userNameOf(command: Command): string | undefined {
  const name = command.name === 'user.create' || command.name === 'user.replace' ? command.data.data.userName : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** The ingress has already answered 503 for this command; applying it now would surprise the client. */
function expired(): CommandOutcome {
  return failed(new ScimError(503, 'The command expired before a worker could apply it; it was not applied'));
}
