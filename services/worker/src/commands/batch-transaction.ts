// One attempt at a batch inside its transaction: replays recognised, rows locked in one order,
// every command applied (each update all or nothing), effects recorded. How an attempt is retried
// when it fails, and what each client is told then, is apply-command-batch.ts's concern.
import { ScimError, type StoredResource } from '@scimflow/scim';
import {
  findAppliedOutcomes,
  findTenantSettings,
  groupsOfUsers,
  keyOf,
  lockResources,
  releaseSavepoint,
  rollbackToSavepoint,
  savepoint,
  replayOutcome,
  summarize,
  tenantProfile,
  type Executor,
  type Trx,
  type ResourceTable,
  type TenantProfile,
} from '@scimflow/db';
import type { Command, CommandName, CommandOutcome, CommittedWrite, OutcomeSummary } from '@scimflow/jobs';
import { recordEffects } from './record-effects';
import { addMembersTogether } from './member-additions';
import { failed, isSlotOf, type CommandContext, type CommandSlot } from './command-context';
import { createGroups, patchGroup, removeGroup, replaceGroup } from './group-commands';
import { createUsers, patchUser, removeUser, replaceUser } from './user-commands';

/** Tenants' profiles (cached by the worker); by default read in the batch's transaction. */
export type ProfilesLookup = (tenantIds: readonly string[]) => Promise<ReadonlyMap<string, TenantProfile>>;

/**
 * A batch commits only if this much is left before its deadline (a quarter of the wait for very
 * short reply timeouts). The ingress answers 503 at the deadline, after checking
 * applied_commands; refusing to commit this close to it means no commit lands after that check
 * (COMMIT takes milliseconds, not a second). Hosts' clocks must agree to well within this.
 */
const COMMIT_MARGIN_MS = 1_000;

export function commitMargin(commands: readonly Command[], deadline: number): number {
  const received = Math.min(...commands.map((command) => command.receivedAt ?? deadline));
  return Math.max(0, Math.min(COMMIT_MARGIN_MS, (deadline - received) / 4));
}

/** Thrown inside a transaction that would commit too close to its deadline: it rolls back. */
export class DeadlinePassed extends Error {}

export interface Run {
  readonly deadline: number;
  readonly now: number;
  readonly issuer: string;
  /** Whether some commands may have committed already (a rerun, or after an unclear failure). */
  readonly checkReplays: boolean;
  readonly profiles?: ProfilesLookup;
  /** In a batch: take a savepoint before each update, so a refused one is undone alone. */
  readonly savepoints?: boolean;
}

/** A command of a batch run without savepoints was refused: the attempt rolls back, to run again with them. */
export class NeedsSavepoints extends Error {}

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

export async function applyInTransaction(
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
    memberAdditions: new Map(),
  };

  await createGroups(
    ctx,
    live.filter((entry) => isSlotOf(entry, 'group.create')),
  );
  await createUsers(
    ctx,
    live.filter((entry) => isSlotOf(entry, 'user.create')),
  );
  // Without savepoints a refusal rolls the whole attempt back, so PATCHes adding members can share a statement.
  if (commands.length > 1 && !run.savepoints) await addMembersTogether(ctx, updates);
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

export async function profilesOf(
  trx: Executor,
  tenantIds: readonly string[],
  run: Run,
): Promise<ReadonlyMap<string, TenantProfile>> {
  if (run.profiles) return run.profiles(tenantIds);
  const settings = await findTenantSettings(trx, tenantIds);
  return new Map([...settings].map(([id, value]) => [id, tenantProfile(value)]));
}

/** A refused command in a transaction of its own: the transaction rolls back, and its refusal is recorded apart. */
export class CommandRefused extends Error {
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

/** The ingress has already answered 503 for this command; applying it now would surprise the client. */
export function expired(): CommandOutcome {
  const error = new ScimError(503, 'The command expired before a worker could apply it; it was not applied');
  return { ok: false, error: error.toData(), unapplied: true };
}

export function noOutcome(): CommandOutcome {
  return failed(new ScimError(500, 'Command produced no outcome'));
}
