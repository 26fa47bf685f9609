// Group PATCHes applied as one batch — members added for several groups in one statement
// (member-additions.ts), a lone removal bumping the version in its own statement, a refused PATCH
// rolling the attempt back to run again with savepoints — must end exactly as the same PATCHes
// applied one at a time: the same answers, the same members, the same versions (issue 9).
import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { findResource, insertTenant, memberSlice } from '@scimflow/db';
import type { Command, CommandMap, CommandOutcome, ItemResult } from '@scimflow/jobs';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { applyCommandBatch } from './apply-command-batch';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const later = () => Date.now() + 60_000;
const USERS = 4;
const GROUPS = 6;

/** A tenant with four users and six groups, the first holding the first user. */
interface World {
  readonly tenantId: string;
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** A member a PATCH names: a user or group of the world by index, or an id no resource has. */
type MemberPick = { readonly kind: 'user' | 'group'; readonly n: number } | { readonly kind: 'missing' };

interface PatchPick {
  readonly group: number;
  readonly op: 'add' | 'remove' | 'removeByFilter';
  readonly members: readonly MemberPick[];
}

function settled(results: ItemResult<CommandOutcome>[]): CommandOutcome[] {
  return results.map((result) => {
    if ('error' in result) throw result.error;
    return result.value;
  });
}

async function apply(tenantId: string, commands: Command[]): Promise<CommandOutcome[]> {
  return settled(await applyCommandBatch(t.db, commands, later()));
}

async function world(): Promise<World> {
  const tenantId = randomUUID();
  await insertTenant(t.db, { id: tenantId, name: `members-${tenantId}`, tokenHash: Buffer.alloc(32) });
  const users = Array.from({ length: USERS }, () => uuidv7());
  await apply(
    tenantId,
    users.map((userId, n) => ({
      id: uuidv7(),
      name: 'user.create',
      tenantId,
      data: { userId, data: { userName: `member-${n}-${tenantId}@example.com` } },
    })),
  );
  const groups = Array.from({ length: GROUPS }, () => uuidv7());
  for (const [n, groupId] of groups.entries()) {
    const members = n === 0 ? [{ value: users[0] ?? '' }] : [];
    await apply(tenantId, [
      { id: uuidv7(), name: 'group.create', tenantId, data: { groupId, data: { displayName: `Group ${n}` }, members } },
    ]);
  }
  return { tenantId, users, groups };
}

function patchOf(w: World, pick: PatchPick, missing: string): Command {
  const idOf = (member: MemberPick) =>
    member.kind === 'missing' ? missing : ((member.kind === 'user' ? w.users : w.groups)[member.n] ?? missing);
  const values = pick.members.map((member) => ({ value: idOf(member) }));
  const [first] = values;
  const operation =
    pick.op === 'removeByFilter' && first
      ? { op: 'remove', path: `members[value eq "${first.value}"]` }
      : { op: pick.op === 'add' ? 'add' : 'remove', path: 'members', value: values };
  return {
    id: uuidv7(),
    name: 'group.patch',
    tenantId: w.tenantId,
    data: {
      groupId: w.groups[pick.group] ?? missing,
      operations: [operation] as CommandMap['group.patch']['operations'],
      returnResource: true,
    },
  };
}

/** What a client and the database would show, with the world's ids replaced by their indexes. */
async function observed(w: World, outcomes: readonly CommandOutcome[]) {
  const nameOf = (id: string) => {
    const user = w.users.indexOf(id);
    return user >= 0 ? `u${user}` : `g${w.groups.indexOf(id)}`;
  };
  const groups = await Promise.all(
    w.groups.map(async (groupId) => ({
      version: (await findResource(t.db, 'groups', { tenantId: w.tenantId, id: groupId }))?.version,
      members: (await memberSlice(t.db, w.tenantId, groupId, undefined, 100)).map((m) => nameOf(m.id)).toSorted(),
    })),
  );
  const answers = outcomes.map((o) => (o.ok ? { status: o.status, version: o.resource?.version } : o.error.status));
  return { answers, groups };
}

// Weighted so that most batches have no refusal (a refusal makes the batch run with savepoints, where
// nothing is shared) and hold several member-adding PATCHes to different groups.
const memberPick: fc.Arbitrary<MemberPick> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('user' as const), n: fc.integer({ min: 0, max: USERS - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('group' as const), n: fc.integer({ min: 0, max: GROUPS - 1 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
);

const patchPick: fc.Arbitrary<PatchPick> = fc.record({
  group: fc.integer({ min: 0, max: GROUPS - 1 }),
  op: fc.constantFrom('add' as const, 'add' as const, 'add' as const, 'remove' as const, 'removeByFilter' as const),
  members: fc.array(memberPick, { minLength: 1, maxLength: 2 }),
});

describe('group PATCHes in one batch', () => {
  it('end as the same PATCHes applied one at a time: answers, members and versions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(patchPick, { minLength: 2, maxLength: 5 }), async (picks) => {
        const [together, oneByOne] = [await world(), await world()];
        const missing = uuidv7();
        const batched = await apply(
          together.tenantId,
          picks.map((pick) => patchOf(together, pick, missing)),
        );
        const alone: CommandOutcome[] = [];
        for (const pick of picks) alone.push(...(await apply(oneByOne.tenantId, [patchOf(oneByOne, pick, missing)])));
        expect(await observed(together, batched)).toEqual(await observed(oneByOne, alone));
      }),
      { numRuns: 60 },
    );
  });
});
