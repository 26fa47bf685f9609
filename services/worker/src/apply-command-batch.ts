import type { Transaction } from 'kysely';
import { ScimError } from '@scimflow/scim';
import {
  findAppliedOutcomes,
  findTenantSettings,
  groupsOfUsers,
  isDataException,
  keyOf,
  lockResources,
  PgCode,
  pgConstraint,
  pgErrorCode,
  recordAppliedCommands,
  tenantProfile,
  type Database,
  type Db,
  type ResourceTable,
} from '@scimflow/db';
import type { Command, CommandOf, CommandOutcome, ItemResult } from '@scimflow/jobs';
import { replayOutcome, summarize } from './applied-outcome';
import { recordEffects } from './record-effects';
import { failed, nameTaken, type CommandContext } from './command-context';
import { createGroups, patchGroup, removeGroup, replaceGroup } from './group-commands';
import { createUsers, patchUser, removeUser, replaceUser } from './user-commands';

const MAX_CONFLICT_RETRIES = 3;

/**
 * Applies a batch of commands in one transaction: one commit (one WAL flush) for all of them.
 * If that transaction fails (a uniqueness race with another worker, a deadlock, a command that
 * breaks), every command is retried in a transaction of its own, so one can't fail the others.
 * A per-command error result means "not applied, retry the job"; replays are recognised.
 */
export interface ApplyOptions {
  /** `iss` of the events written (the service's public URL). */
  readonly issuer?: string;
  readonly now?: number;
}

export async function applyCommandBatch(
  db: Db,
  commands: readonly Command[],
  deadline: number,
  options: ApplyOptions = {},
): Promise<ItemResult<CommandOutcome>[]> {
  const run: Run = { deadline, now: options.now ?? Date.now(), issuer: options.issuer ?? 'scimflow' };
  if (commands.length > 1) {
    try {
      const outcomes = await db.transaction().execute((trx) => applyInTransaction(trx, commands, run));
      return outcomes.map((value) => ({ value }));
    } catch {
      // fall through to one transaction per command
    }
  }
  const results: ItemResult<CommandOutcome>[] = [];
  for (const command of commands) results.push(await applyAlone(db, command, run));
  return results;
}

interface Run {
  readonly deadline: number;
  readonly now: number;
  readonly issuer: string;
}

async function applyAlone(db: Db, command: Command, run: Run): Promise<ItemResult<CommandOutcome>> {
  const refused = async (outcome: CommandOutcome): Promise<ItemResult<CommandOutcome>> => {
    // Its transaction rolled back, log line included: the refusal is logged on its own.
    try {
      await recordEffects(db, [{ command, outcome }], [], run.now);
      return { value: outcome };
    } catch (error) {
      return { error };
    }
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const [value] = await db.transaction().execute((trx) => applyInTransaction(trx, [command], run));
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
      if (code === PgCode.uniqueViolation && constraint === 'users_user_name_key')
        return refused(failed(nameTaken('users', nameOf(command))));
      if (code === PgCode.uniqueViolation && constraint === 'groups_display_name_key')
        return refused(failed(nameTaken('groups', nameOf(command))));
      // A member deleted while this command was adding it.
      if (code === PgCode.foreignKeyViolation)
        return refused(
          failed(ScimError.badRequest('invalidValue', 'A member does not exist in this tenant; nothing was applied')),
        );
      // A value Postgres won't store: retrying can't help, and it is the request's fault.
      if (isDataException(error))
        return refused(failed(ScimError.badRequest('invalidValue', 'A value in the request cannot be stored')));
      // Anything else (database unreachable...) is not applied; the job is retried until its deadline.
      return { error };
    }
  }
}

const TABLE: Record<Command['name'], ResourceTable> = {
  'user.create': 'users',
  'user.replace': 'users',
  'user.patch': 'users',
  'user.delete': 'users',
  'group.create': 'groups',
  'group.replace': 'groups',
  'group.patch': 'groups',
  'group.delete': 'groups',
};

type Update = Exclude<Command, CommandOf<'user.create' | 'group.create'>>;

function targetId(command: Update): string {
  return 'userId' in command.data ? command.data.userId : command.data.groupId;
}

async function applyInTransaction(
  trx: Transaction<Database>,
  commands: readonly Command[],
  { deadline, now, issuer }: Run,
): Promise<CommandOutcome[]> {
  const outcomes: (CommandOutcome | undefined)[] = new Array(commands.length);
  const replays = await findAppliedOutcomes(
    trx,
    commands.map((command) => command.id),
  );
  const live: number[] = [];
  for (const [index, command] of commands.entries()) {
    const stored = replays.get(command.id);
    if (stored) outcomes[index] = await replayOutcome(trx, command, stored);
    else if (deadline < now) outcomes[index] = expired();
    else live.push(index);
  }

  const settings = await findTenantSettings(trx, [
    ...new Set(live.map((index) => (commands[index] as Command).tenantId)),
  ]);
  const updates = live.filter((index) => !(commands[index] as Command).name.endsWith('.create'));
  const lock = (table: ResourceTable) =>
    lockResources(
      trx,
      table,
      updates
        .filter((index) => TABLE[(commands[index] as Command).name] === table)
        .map((index) => ({ tenantId: (commands[index] as Update).tenantId, id: targetId(commands[index] as Update) })),
    );
  // Groups before users, always: one lock order for every batch.
  const groups = await lock('groups');
  const users = await lock('users');
  const before = { users: new Map(users), groups: new Map(groups) };
  const ctx: CommandContext = {
    trx,
    rows: { users, groups },
    profiles: new Map([...settings].map(([id, value]) => [id, tenantProfile(value)])),
    events: [],
    issuer,
    now,
  };

  const creates = <N extends 'user.create' | 'group.create'>(name: N) =>
    live.flatMap((index) =>
      (commands[index] as Command).name === name ? [{ index, command: commands[index] as CommandOf<N> }] : [],
    );
  await createGroups(ctx, creates('group.create'), outcomes);
  await createUsers(ctx, creates('user.create'), outcomes);

  for (const index of updates) {
    try {
      outcomes[index] = await applyUpdate(ctx, commands[index] as Update);
    } catch (error) {
      // Domain errors are detected before anything is written, so they fail just this command.
      if (!(error instanceof ScimError)) throw error;
      outcomes[index] = failed(error);
    }
  }
  await attachUserGroups(trx, commands, outcomes, updates);

  await recordAppliedCommands(
    trx,
    live.map((index) => {
      const command = commands[index] as Command;
      return {
        commandId: command.id,
        tenantId: command.tenantId,
        outcome: summarize(outcomes[index] as CommandOutcome),
      };
    }),
  );
  // Replays were logged when they first applied; everything else (expired commands too) is logged now.
  const effects = commands.flatMap((command, index) => {
    const outcome = outcomes[index];
    if (replays.has(command.id) || !outcome) return [];
    const locked = !command.name.endsWith('.create')
      ? before[TABLE[command.name]].get(keyOf(command.tenantId, targetId(command as Update)))
      : undefined;
    return [{ command, outcome, ...(locked ? { before: locked } : {}) }];
  });
  await recordEffects(trx, effects, ctx.events, now);
  return outcomes.map((outcome) => outcome ?? failed(new ScimError(500, 'Command produced no outcome')));
}

function applyUpdate(ctx: CommandContext, command: Update): Promise<CommandOutcome> {
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
async function attachUserGroups(
  trx: Transaction<Database>,
  commands: readonly Command[],
  outcomes: (CommandOutcome | undefined)[],
  updates: readonly number[],
): Promise<void> {
  const byTenant = new Map<string, number[]>();
  for (const index of updates) {
    const command = commands[index] as Command;
    const outcome = outcomes[index];
    if (TABLE[command.name] === 'users' && outcome?.ok && outcome.resource)
      byTenant.set(command.tenantId, [...(byTenant.get(command.tenantId) ?? []), index]);
  }
  for (const [tenantId, indexes] of byTenant) {
    const groups = await groupsOfUsers(
      trx,
      tenantId,
      indexes.map((index) => (outcomes[index] as { resource: { id: string } }).resource.id),
    );
    for (const index of indexes) {
      const outcome = outcomes[index];
      if (!outcome?.ok || !outcome.resource) continue;
      const mine = groups.get(outcome.resource.id);
      const { derived: _stale, ...resource } = outcome.resource;
      outcomes[index] = { ...outcome, resource: mine ? { ...resource, derived: { groups: mine } } : resource };
    }
  }
}

function nameOf(command: Command): string | undefined {
  const name =
    command.name === 'user.create' || command.name === 'user.replace'
      ? command.data.data.userName
      : command.name === 'group.create' || command.name === 'group.replace'
        ? command.data.data.displayName
        : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** The ingress has already answered 503 for this command; applying it now would surprise the client. */
function expired(): CommandOutcome {
  return failed(new ScimError(503, 'The command expired before a worker could apply it; it was not applied'));
}
