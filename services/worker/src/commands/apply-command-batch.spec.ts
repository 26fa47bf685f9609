import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { findResource, insertTenant, memberSlice, updateTenant } from '@scimflow/db';
import type { Command, CommandMap, CommandName, CommandOutcome, ItemResult } from '@scimflow/jobs';
import { Urn } from '@scimflow/scim';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { applyCommandBatch } from './apply-command-batch';
import { recordUnapplied } from './record-effects';

let t: TestDatabase;
const tenantId = randomUUID();
const later = () => Date.now() + 60_000;

beforeAll(async () => {
  t = await createTestDatabase();
  await insertTenant(t.db, { id: tenantId, name: 'worker-tests', tokenHash: Buffer.alloc(32) });
});
afterAll(() => t.drop());

function command<N extends CommandName>(name: N, data: CommandMap[N], id = uuidv7()): Command {
  return { id, name, tenantId, data } as Command;
}

function outcomes(results: ItemResult<CommandOutcome>[]): CommandOutcome[] {
  return results.map((result) => {
    if ('error' in result) throw result.error;
    return result.value;
  });
}

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const userId = uuidv7();
  const [outcome] = outcomes(
    await applyCommandBatch(t.db, [command('user.create', { userId, data: { userName, ...extra } })], later()),
  );
  expect(outcome).toMatchObject({ ok: true, status: 201 });
  return userId;
}

const patchOp = (op: 'add' | 'replace' | 'remove', path: string | undefined, value?: unknown) =>
  ({
    op,
    ...(path ? { path } : {}),
    ...(value === undefined ? {} : { value }),
  }) as CommandMap['user.patch']['operations'][number];

async function createGroup(displayName: string, members: string[] = []): Promise<string> {
  const groupId = uuidv7();
  const [outcome] = outcomes(
    await applyCommandBatch(
      t.db,
      [command('group.create', { groupId, data: { displayName }, members: members.map((value) => ({ value })) })],
      later(),
    ),
  );
  expect(outcome).toMatchObject({ ok: true, status: 201 });
  return groupId;
}

/** The test database with every statement sent through it counted (BEGIN and COMMIT are not statements here). */
function countingStatements() {
  let statements = 0;
  const db = t.db.withPlugin({
    transformQuery: ({ node }) => {
      statements++;
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  });
  return { db, statements: () => statements };
}

async function memberIds(groupId: string): Promise<string[]> {
  return (await memberSlice(t.db, tenantId, groupId, undefined, 1000)).map((member) => member.id).toSorted();
}

describe('applyCommandBatch', () => {
  it('applies a batch in one go and answers each command on its own', async () => {
    const existing = await createUser('existing@example.com');
    const ghost = uuidv7();
    const results = outcomes(
      await applyCommandBatch(
        t.db,
        [
          command('user.create', { userId: uuidv7(), data: { userName: 'new@example.com' } }),
          command('user.create', { userId: uuidv7(), data: { userName: 'NEW@example.com' } }),
          command('user.patch', { userId: existing, operations: [patchOp('replace', 'displayName', 'Existing')] }),
          command('user.patch', { userId: existing, operations: [patchOp('remove', 'userName')] }),
          command('user.replace', { userId: existing, data: { userName: 'existing@example.com' }, ifMatch: 'W/"1"' }),
          command('user.delete', { userId: ghost }),
        ],
        later(),
      ),
    );
    expect(results.map((o) => (o.ok ? o.status : o.error.status))).toEqual([201, 409, 200, 400, 412, 404]);
    expect(results[1]).toMatchObject({ ok: false, error: { scimType: 'uniqueness' } });
    expect(await findResource(t.db, 'users', { tenantId, id: existing })).toMatchObject({
      version: 2,
      data: { displayName: 'Existing' },
    });
  });

  it('applies a command once however often its job runs', async () => {
    const userId = await createUser('replayed@example.com');
    const patch = command('user.patch', {
      userId,
      operations: [patchOp('add', 'emails', [{ type: 'work', value: 'a@example.com' }])],
    });
    const first = outcomes(await applyCommandBatch(t.db, [patch], later()));
    const second = outcomes(await applyCommandBatch(t.db, [patch], later()));
    expect(first[0]).toMatchObject({ ok: true, status: 200, resource: { version: 2 } });
    expect(second[0]).toMatchObject({ ok: true, status: 200, resource: { version: 2 } });
    expect((await findResource(t.db, 'users', { tenantId, id: userId }))?.version).toBe(2);

    const create = command('user.create', { userId: uuidv7(), data: { userName: 'created-once@example.com' } });
    const again = outcomes(
      await applyCommandBatch(
        t.db,
        [create, command('user.create', { userId: uuidv7(), data: { userName: 'other@example.com' } })],
        later(),
      ),
    );
    expect(again[0]).toMatchObject({ ok: true, status: 201 });
    expect(outcomes(await applyCommandBatch(t.db, [create], later()))[0]).toMatchObject({ ok: true, status: 201 });
  });

  it('drops commands whose deadline passed, without recording them', async () => {
    const expired = command('user.create', { userId: uuidv7(), data: { userName: 'too-late@example.com' } });
    expect(outcomes(await applyCommandBatch(t.db, [expired], Date.now() - 1))[0]).toMatchObject({
      ok: false,
      error: { status: 503 },
    });
    expect(outcomes(await applyCommandBatch(t.db, [expired], later()))[0]).toMatchObject({ ok: true, status: 201 });
  });

  it('keeps a lost uniqueness race from failing the other commands of the batch', async () => {
    const x = await createUser('race-x@example.com');
    const y = await createUser('race-y@example.com');
    const bystander = await createUser('bystander@example.com');
    const rename = (userId: string) =>
      command('user.patch', { userId, operations: [patchOp('replace', 'userName', 'taken@example.com')] });
    const [left, right] = await Promise.all([
      applyCommandBatch(
        t.db,
        [rename(x), command('user.patch', { userId: bystander, operations: [patchOp('replace', 'title', 'Left')] })],
        later(),
      ),
      applyCommandBatch(
        t.db,
        [
          rename(y),
          command('user.patch', { userId: bystander, operations: [patchOp('replace', 'nickName', 'Right')] }),
        ],
        later(),
      ),
    ]);
    const renames = [outcomes(left)[0], outcomes(right)[0]];
    expect(renames.filter((o) => o?.ok)).toHaveLength(1);
    expect(renames.filter((o) => !o?.ok && o?.error.scimType === 'uniqueness')).toHaveLength(1);
    expect((await findResource(t.db, 'users', { tenantId, id: bystander }))?.data).toMatchObject({
      title: 'Left',
      nickName: 'Right',
    });
  });

  it('gives every command of a mixed batch its own outcome, whatever Postgres or our code throws', async () => {
    const other = randomUUID();
    await insertTenant(t.db, { id: other, name: 'worker-tests-other', tokenHash: Buffer.alloc(32) });
    const create = (tenant: string, userName: string, extra: Record<string, unknown> = {}) => ({
      id: uuidv7(),
      name: 'user.create' as const,
      tenantId: tenant,
      data: { userId: uuidv7(), data: { userName, ...extra } },
    });
    const existing = await createUser('isolated-target@example.com');
    const batch: Command[] = [
      create(tenantId, 'mine-1@example.com'),
      create(other, 'theirs-1@example.com'),
      // Past the b-tree limit (random, so it can't compress): "index row size exceeds maximum" (54000).
      create(tenantId, `${randomBytes(1500).toString('hex')}@example.com`),
      create(other, `${randomBytes(1500).toString('hex')}@example.com`),
      // A NUL in a JSON string: "unsupported Unicode escape sequence" (22P05).
      create(tenantId, 'nul@example.com', { displayName: 'a\u0000b' }),
      {
        id: uuidv7(),
        name: 'group.create',
        tenantId: other,
        data: { groupId: uuidv7(), data: { displayName: randomBytes(1500).toString('hex') }, members: [] },
      },
      // Our own code breaking on a payload no ingress would send (a bug, not bad input).
      {
        id: uuidv7(),
        name: 'user.patch',
        tenantId,
        data: { userId: existing, operations: [null] },
      } as unknown as Command,
      create(tenantId, 'mine-2@example.com'),
      create(other, 'theirs-2@example.com'),
    ];
    const bugs: unknown[] = [];
    const results = outcomes(await applyCommandBatch(t.db, batch, later(), { onBug: (error) => bugs.push(error) }));
    expect(results.map((o) => (o.ok ? o.status : o.error.status))).toEqual([
      201, 201, 400, 400, 400, 400, 500, 201, 201,
    ]);
    expect(bugs).toHaveLength(1);
    // Each answer is what the database holds.
    for (const [index, sent] of batch.entries()) {
      if (sent.name !== 'user.create' && sent.name !== 'group.create') continue;
      const id = sent.name === 'user.create' ? sent.data.userId : sent.data.groupId;
      const table = sent.name === 'user.create' ? 'users' : 'groups';
      const stored = await findResource(t.db, table, { tenantId: sent.tenantId, id });
      expect([index, stored !== undefined]).toEqual([index, results[index]?.ok === true]);
    }
    expect((await findResource(t.db, 'users', { tenantId, id: existing }))?.version).toBe(1);
  });

  it('answers a value Postgres refuses with 400 for that command, not a retry', async () => {
    // Validation at the ingress stops these; this is the worker's own guard should one slip through.
    const bad = command('user.create', { userId: uuidv7(), data: { userName: 'nul\u0000@example.com' } });
    const good = command('user.create', { userId: uuidv7(), data: { userName: 'fine@example.com' } });
    const results = outcomes(await applyCommandBatch(t.db, [bad, good], later()));
    expect(results[0]).toMatchObject({ ok: false, error: { status: 400, scimType: 'invalidValue' } });
    expect(results[1]).toMatchObject({ ok: true, status: 201 });
  });

  it('loses no update when many commands change one user at once', async () => {
    const userId = await createUser('busy@example.com');
    const changes: [string, unknown][] = [
      ['displayName', 'Busy'],
      ['nickName', 'B'],
      ['title', 'Engineer'],
      ['locale', 'en-GB'],
      ['timezone', 'Europe/London'],
      ['name.givenName', 'Busy'],
      ['emails[type eq "work"].value', 'busy@example.com'],
      [`${Urn.EnterpriseUser}:department`, 'R&D'],
    ];
    const results = await Promise.all(
      changes.map(([path, value]) =>
        applyCommandBatch(
          t.db,
          [command('user.patch', { userId, operations: [patchOp('replace', path, value)] })],
          later(),
        ),
      ),
    );
    expect(results.map((r) => outcomes(r)[0]?.ok)).toEqual(changes.map(() => true));
    const stored = await findResource(t.db, 'users', { tenantId, id: userId });
    expect(stored?.version).toBe(1 + changes.length);
    expect(stored?.data).toMatchObject({
      displayName: 'Busy',
      nickName: 'B',
      title: 'Engineer',
      locale: 'en-GB',
      timezone: 'Europe/London',
      name: { givenName: 'Busy' },
      emails: [{ type: 'work', value: 'busy@example.com' }],
      [Urn.EnterpriseUser]: { department: 'R&D' },
    });
  });
});

describe('groups', () => {
  it('checks every member before writing anything', async () => {
    const alice = await createUser('member-a@example.com');
    const results = outcomes(
      await applyCommandBatch(
        t.db,
        [
          command('group.create', {
            groupId: uuidv7(),
            data: { displayName: 'Broken' },
            members: [{ value: alice }, { value: uuidv7() }, { value: 'not-an-id' }],
          }),
          command('group.create', {
            groupId: uuidv7(),
            data: { displayName: 'Typed wrong' },
            members: [{ value: alice, type: 'Group' }],
          }),
          command('group.create', {
            groupId: uuidv7(),
            data: { displayName: 'Fine' },
            members: [{ value: alice, type: 'User' }],
          }),
        ],
        later(),
      ),
    );
    expect(results.map((o) => (o.ok ? o.status : o.error.status))).toEqual([400, 400, 201]);
    expect(results[0]).toMatchObject({ ok: false, error: { scimType: 'invalidValue' } });
    expect(await findResource(t.db, 'groups', { tenantId, id: uuidv7() })).toBeUndefined();
  });

  it('adds, removes and replaces members as deltas, with one new version per command', async () => {
    const [a, b, c] = [
      await createUser('delta-a@example.com'),
      await createUser('delta-b@example.com'),
      await createUser('delta-c@example.com'),
    ];
    const groupId = await createGroup('Deltas', [a]);
    const patch = (...operations: ReturnType<typeof patchOp>[]) =>
      applyCommandBatch(t.db, [command('group.patch', { groupId, operations })], later());
    expect(outcomes(await patch(patchOp('add', 'members', [{ value: b }, { value: a }]))).at(0)).toMatchObject({
      ok: true,
      resource: { version: 2 },
    });
    expect(await memberIds(groupId)).toEqual([a, b].toSorted());
    await patch(patchOp('remove', 'members', [{ value: a }]), patchOp('add', 'members', [{ value: c }]));
    expect(await memberIds(groupId)).toEqual([b, c].toSorted());
    await patch(patchOp('remove', `members[value eq "${b}"]`));
    expect(await memberIds(groupId)).toEqual([c]);
    await patch(
      patchOp('replace', 'members', [{ value: a }, { value: b }]),
      patchOp('replace', 'displayName', 'Renamed'),
    );
    expect(await memberIds(groupId)).toEqual([a, b].toSorted());
    expect(await findResource(t.db, 'groups', { tenantId, id: groupId })).toMatchObject({
      version: 5,
      data: { displayName: 'Renamed' },
    });
    // Adding members that are already there changes nothing, version included.
    expect(outcomes(await patch(patchOp('add', 'members', [{ value: a }]))).at(0)).toMatchObject({
      ok: true,
      resource: { version: 5 },
    });
    const missing = outcomes(await patch(patchOp('add', 'members', [{ value: c }, { value: uuidv7() }])));
    expect(missing[0]).toMatchObject({ ok: false, error: { status: 400, scimType: 'invalidValue' } });
    expect(await memberIds(groupId)).toEqual([a, b].toSorted());
  });

  it('gives a group one new version per member-adding PATCH of a batch, and undoes a refused one alone', async () => {
    const [a, b] = [await createUser('batched-a@example.com'), await createUser('batched-b@example.com')];
    const groupId = await createGroup('Batched adds');
    const add = (value: string) =>
      command('group.patch', { groupId, operations: [patchOp('add', 'members', [{ value }])], returnResource: true });
    const results = outcomes(await applyCommandBatch(t.db, [add(a), add(uuidv7()), add(b), add(groupId)], later()));
    expect(results.map((o) => (o.ok ? o.resource?.version : o.error.status))).toEqual([2, 400, 3, 400]);
    expect(await memberIds(groupId)).toEqual([a, b].toSorted());
    expect((await findResource(t.db, 'groups', { tenantId, id: groupId }))?.version).toBe(3);
  });

  it("adds the members of a batch's member-adding PATCHes to different groups in one statement, each answered as alone", async () => {
    const [a, b, c] = [
      await createUser('together-a@example.com'),
      await createUser('together-b@example.com'),
      await createUser('together-c@example.com'),
    ];
    const groups = [
      await createGroup('Together 1'),
      await createGroup('Together 2'),
      await createGroup('Together 3', [c]),
    ];
    const add = (groupId: string | undefined, values: string[]) =>
      command('group.patch', {
        groupId: groupId ?? '',
        operations: [
          patchOp(
            'add',
            'members',
            values.map((value) => ({ value })),
          ),
        ],
        returnResource: true,
      });
    const counted = countingStatements();
    const batch = [add(groups[0], [a]), add(groups[1], [a, b, groups[2] ?? '']), add(groups[2], [c])];
    const results = outcomes(await applyCommandBatch(counted.db, batch, later()));
    // Group 2 gets two users and a group; group 3 had c already: no change, no new version.
    expect(results.map((o) => (o.ok ? [o.status, o.resource?.version] : o.error.status))).toEqual([
      [200, 2],
      [200, 2],
      [200, 1],
    ]);
    expect(await Promise.all(groups.map((id) => memberIds(id ?? '')))).toEqual([
      [a],
      [a, b, groups[2] ?? ''].toSorted(),
      [c],
    ]);
    // The tenant's profile, the group locks, the three PATCHes' additions, the effects: four, where
    // a statement per PATCH made six.
    expect(counted.statements()).toBe(4);
    const { rows: events } = await sql<{ uri: string }>`
      select payload->'sub_id'->>'uri' as uri from outbox
      where kind = 'event' and payload->>'txn' = any(${batch.map((cmd) => cmd.id)}::text[])`.execute(t.db);
    expect(events.map((row) => row.uri).toSorted()).toEqual(
      [`/Groups/${groups[0]}`, `/Groups/${groups[1]}`].toSorted(),
    );
  });

  it('removes members and gives the group its new version in one statement, by value list or by filter', async () => {
    const [a, b] = [await createUser('remove-one-a@example.com'), await createUser('remove-one-b@example.com')];
    const groupId = await createGroup('Remove in one', [a, b]);
    const remove = (path: string, value?: string) =>
      command('group.patch', {
        groupId,
        operations: [patchOp('remove', path, value === undefined ? undefined : [{ value }])],
        returnResource: true,
      });
    const counted = countingStatements();
    const [byValue] = outcomes(await applyCommandBatch(counted.db, [remove('members', a)], later()));
    expect(byValue).toMatchObject({ ok: true, status: 200, resource: { version: 2 } });
    // The tenant's profile, the group's lock, the removal with the new version, the effects: four, where
    // a removal and a separate version bump made five.
    expect(counted.statements()).toBe(4);
    const [byFilter] = outcomes(await applyCommandBatch(t.db, [remove(`members[value eq "${b}"]`)], later()));
    expect(byFilter).toMatchObject({ ok: true, resource: { version: 3 } });
    expect(await memberIds(groupId)).toEqual([]);
    // Removing a member that isn't there changes nothing: no new version.
    const [nothing] = outcomes(await applyCommandBatch(t.db, [remove('members', a)], later()));
    expect(nothing).toMatchObject({ ok: true, resource: { version: 3 } });
    expect((await findResource(t.db, 'groups', { tenantId, id: groupId }))?.version).toBe(3);
  });

  it('undoes a refused PATCH of a batch alone when its members were to be added with others', async () => {
    const a = await createUser('together-refused@example.com');
    const [kept, refused] = [await createGroup('Together kept'), await createGroup('Together refused')];
    const add = (groupId: string, value: string) =>
      command('group.patch', { groupId, operations: [patchOp('add', 'members', [{ value }])], returnResource: true });
    const results = outcomes(await applyCommandBatch(t.db, [add(kept, a), add(refused, uuidv7())], later()));
    expect(results.map((o) => (o.ok ? o.resource?.version : o.error.status))).toEqual([2, 400]);
    expect([await memberIds(kept), await memberIds(refused)]).toEqual([[a], []]);
    expect((await findResource(t.db, 'groups', { tenantId, id: kept }))?.version).toBe(2);
    expect((await findResource(t.db, 'groups', { tenantId, id: refused }))?.version).toBe(1);
  });

  it('loses none of 20 concurrent member additions to one group', async () => {
    const groupId = await createGroup('Crowded');
    const members = await Promise.all(Array.from({ length: 20 }, (_, n) => createUser(`crowd-${n}@example.com`)));
    const results = await Promise.all(
      members.map((value) =>
        applyCommandBatch(
          t.db,
          [command('group.patch', { groupId, operations: [patchOp('add', 'members', [{ value }])] })],
          later(),
        ),
      ),
    );
    expect(results.map((r) => outcomes(r)[0]?.ok)).toEqual(members.map(() => true));
    expect(await memberIds(groupId)).toEqual([...members].toSorted());
    expect((await findResource(t.db, 'groups', { tenantId, id: groupId }))?.version).toBe(21);
  });

  it('gives a group a new version when a member is deleted, and drops nested memberships with the group', async () => {
    const user = await createUser('departing@example.com');
    const child = await createGroup('Child', [user]);
    const parent = await createGroup('Parent', [child, user]);
    const [deleted] = outcomes(await applyCommandBatch(t.db, [command('user.delete', { userId: user })], later()));
    expect(deleted).toMatchObject({ ok: true, status: 204 });
    expect(await memberIds(parent)).toEqual([child]);
    expect((await findResource(t.db, 'groups', { tenantId, id: child }))?.version).toBe(2);
    outcomes(await applyCommandBatch(t.db, [command('group.delete', { groupId: child })], later()));
    expect(await memberIds(parent)).toEqual([]);
    expect((await findResource(t.db, 'groups', { tenantId, id: parent }))?.version).toBe(3);
  });
});

describe('tenant profiles', () => {
  afterEach(() => updateTenant(t.db, tenantId, { settings: {} }));

  it('enforces required attributes on create, replace and patch, inside the transaction', async () => {
    await updateTenant(t.db, tenantId, {
      settings: { requiredAttributes: { User: ['externalId', 'emails[type eq "work"].value'], Group: ['externalId'] } },
    });
    const missing = outcomes(
      await applyCommandBatch(
        t.db,
        [
          command('user.create', { userId: uuidv7(), data: { userName: 'incomplete@example.com', externalId: 'x' } }),
          command('user.create', {
            userId: uuidv7(),
            data: {
              userName: 'complete@example.com',
              externalId: 'y',
              emails: [{ type: 'work', value: 'c@example.com' }],
            },
          }),
          command('group.create', { groupId: uuidv7(), data: { displayName: 'No external id' }, members: [] }),
        ],
        later(),
      ),
    );
    expect(missing.map((o) => (o.ok ? o.status : o.error.status))).toEqual([400, 201, 400]);
    expect(missing[0]).toMatchObject({
      error: { scimType: 'invalidValue', detail: expect.stringContaining('emails[type eq "work"].value') },
    });
    const userId = (missing[1] as { resource: { id: string } }).resource.id;
    const removal = outcomes(
      await applyCommandBatch(
        t.db,
        [command('user.patch', { userId, operations: [patchOp('remove', 'externalId')] })],
        later(),
      ),
    );
    expect(removal[0]).toMatchObject({ ok: false, error: { status: 400 } });
  });

  it('puts every new user in the default groups, in the same transaction', async () => {
    const workspace = await createGroup('Default workspace');
    await updateTenant(t.db, tenantId, { settings: { defaultGroups: [workspace, uuidv7()] } });
    const userId = uuidv7();
    const [created] = outcomes(
      await applyCommandBatch(
        t.db,
        [command('user.create', { userId, data: { userName: 'newcomer@example.com' } })],
        later(),
      ),
    );
    expect(created).toMatchObject({
      ok: true,
      status: 201,
      resource: { derived: { groups: [{ value: workspace, display: 'Default workspace', type: 'direct' }] } },
    });
    expect(await memberIds(workspace)).toEqual([userId]);
  });
});

describe('what a batch leaves behind', () => {
  it('logs every command and emits events only for what committed, in the same transaction', async () => {
    const [goodId, badId] = [uuidv7(), uuidv7()];
    const good = command('user.create', { userId: goodId, data: { userName: 'evented@example.com', active: false } });
    const bad = command('user.create', { userId: badId, data: { userName: 'nul\u0000evented@example.com' } });
    const results = outcomes(await applyCommandBatch(t.db, [good, bad], later(), { issuer: 'https://scim.test' }));
    expect(results.map((o) => o.ok)).toEqual([true, false]);

    const { rows: log } = await sql<{
      command_id: string;
      outcome: string;
      http_status: number;
      resource_name: string;
    }>`
      select command_id, outcome, http_status, resource_name from provisioning_log where command_id = any(${[good.id, bad.id]}::uuid[]) order by http_status`.execute(
      t.db,
    );
    expect(log).toEqual([
      { command_id: good.id, outcome: 'success', http_status: 201, resource_name: 'evented@example.com' },
      { command_id: bad.id, outcome: 'failure', http_status: 400, resource_name: 'nul\uFFFDevented@example.com' },
    ]);
    const { rows: outbox } = await sql<{ kind: string; payload: Record<string, unknown> }>`
      select kind, payload from outbox where payload->>'txn' = any(${[good.id, bad.id]}::text[]) or (kind = 'failure' and payload->>'resourceId' = ${badId}) order by position`.execute(
      t.db,
    );
    expect(
      outbox.map((row) => [
        row.kind,
        Object.keys((row.payload.events as object | undefined) ?? {})[0] ?? row.payload.status,
      ]),
    ).toEqual([
      ['event', 'urn:ietf:params:scim:event:prov:create:notice'],
      ['event', 'urn:ietf:params:scim:event:prov:deactivate'],
      ['failure', 400],
    ]);
    expect(outbox[0]?.payload).toMatchObject({
      iss: 'https://scim.test',
      tenant: tenantId,
      sub_id: { uri: `/Users/${goodId}`, userName: 'evented@example.com' },
    });
  });

  it('creates a batch of nothing but users in one statement, with every effect the transaction would record', async () => {
    const other = randomUUID();
    await insertTenant(t.db, { id: other, name: 'one-statement', tokenHash: Buffer.alloc(32) });
    await updateTenant(t.db, other, { settings: { requiredAttributes: { User: ['externalId'] } } });
    const create = (tenant: string, userName: string, extra: Record<string, unknown> = {}): Command => ({
      id: uuidv7(),
      name: 'user.create',
      tenantId: tenant,
      data: { userId: uuidv7(), data: { userName, ...extra } },
    });
    await createUser('already@example.com');
    const batch = [
      create(tenantId, 'first-of-batch@example.com'),
      create(other, 'refused@example.com'),
      create(tenantId, 'ALREADY@example.com'),
      create(other, 'kept@example.com', { externalId: 'k-1', active: false }),
      create(tenantId, 'second-of-batch@example.com'),
    ];
    const before = await sql<{
      n: string;
    }>`select count(*) as n from outbox where kind = 'event' and tenant_id = ${tenantId}`.execute(t.db);
    const results = outcomes(await applyCommandBatch(t.db, batch, later()));
    expect(results.map((o) => (o.ok ? o.status : o.error.status))).toEqual([201, 400, 409, 201, 201]);
    expect(results[2]).toMatchObject({ ok: false, error: { scimType: 'uniqueness' } });
    expect(results[0]).toMatchObject({
      ok: true,
      resource: { version: 1, data: { userName: 'first-of-batch@example.com' } },
    });

    const ids = batch.map((c) => c.id);
    const { rows: applied } = await sql<{ command_id: string; outcome: { ok: boolean; status?: number } }>`
      select command_id, outcome from applied_commands where command_id = any(${ids}::uuid[])`.execute(t.db);
    expect(new Map(applied.map((row) => [row.command_id, row.outcome.ok]))).toEqual(
      new Map(ids.map((id, n) => [id, results[n]?.ok ?? false])),
    );
    const { rows: log } = await sql<{ command_id: string; http_status: number }>`
      select command_id, http_status from provisioning_log where command_id = any(${ids}::uuid[])`.execute(t.db);
    expect(new Map(log.map((row) => [row.command_id, row.http_status]))).toEqual(
      new Map([201, 400, 409, 201, 201].map((status, n) => [ids[n], status])),
    );
    const { rows: failures } = await sql<{ status: number }>`
      select (payload->>'status')::int as status from outbox where kind = 'failure' and payload->>'id' in (
        select id::text from provisioning_log where command_id = any(${ids}::uuid[]) and outcome = 'failure')`.execute(
      t.db,
    );
    expect(failures.map((row) => row.status).toSorted((a, b) => a - b)).toEqual([400, 409]);
    // Events for the three users created, numbered on from where each tenant was.
    const { rows: events } = await sql<{ tenant_id: string; sequence: string; uri: string }>`
      select tenant_id, sequence, payload->'sub_id'->>'uri' as uri from outbox
      where kind = 'event' and payload->>'txn' = any(${ids}::text[]) order by position`.execute(t.db);
    const uri = (n: number) => `/Users/${(batch[n]?.data as { userId: string }).userId}`;
    expect(events.map((row) => row.uri).toSorted()).toEqual([uri(0), uri(4), uri(3), uri(3)].toSorted());
    const mine = events.filter((row) => row.tenant_id === tenantId).map((row) => Number(row.sequence));
    expect(mine).toEqual([Number(before.rows[0]?.n) + 1, Number(before.rows[0]?.n) + 2]);
    expect(events.filter((row) => row.tenant_id === other).map((row) => Number(row.sequence))).toEqual([1, 2]);
  });

  it.each([
    ['alone', 1],
    ['in a batch', 3],
  ])('leaves a group PATCH refused halfway entirely unapplied, %s', async (_how, batchSize) => {
    const groupId = await createGroup(`Atomic ${batchSize}`);
    const member = await createUser(`atomic-member-${batchSize}@example.com`);
    const bystander = await createUser(`atomic-bystander-${batchSize}@example.com`);
    const events = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from outbox where kind = 'event' and payload->'sub_id'->>'uri' = ${`/Groups/${groupId}`}`.execute(
            t.db,
          )
        ).rows[0]?.n,
      );
    const eventsBefore = await events();
    const refused = command('group.patch', {
      groupId,
      operations: [
        patchOp('replace', 'displayName', 'Renamed halfway'),
        patchOp('add', 'members', [{ value: member }]),
        patchOp('add', 'members', [{ value: uuidv7() }]),
      ] as CommandMap['group.patch']['operations'],
    });
    const others = Array.from({ length: batchSize - 1 }, (_, n) =>
      command('user.patch', { userId: bystander, operations: [patchOp('replace', 'nickName', `n${n}`)] }),
    );
    const results = outcomes(await applyCommandBatch(t.db, [refused, ...others], later()));
    expect(results[0]).toMatchObject({ ok: false, error: { status: 400, scimType: 'invalidValue' } });
    expect(results.slice(1).every((o) => o.ok)).toBe(true);
    expect(await findResource(t.db, 'groups', { tenantId, id: groupId })).toMatchObject({
      version: 1,
      data: { displayName: `Atomic ${batchSize}` },
    });
    expect(await memberIds(groupId)).toEqual([]);
    expect(await events()).toBe(eventsBefore);
    if (batchSize > 1)
      expect((await findResource(t.db, 'users', { tenantId, id: bystander }))?.data.nickName).toBe('n1');
  });

  it('emits nothing for a replayed command', async () => {
    const create = command('user.create', { userId: uuidv7(), data: { userName: 'replayed-event@example.com' } });
    await applyCommandBatch(t.db, [create], later());
    await applyCommandBatch(t.db, [create], later());
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from outbox where payload->>'txn' = ${create.id}`.execute(t.db);
    expect(rows[0]?.n).toBe(1);
    const { rows: log } = await sql<{
      n: number;
    }>`select count(*)::int as n from provisioning_log where command_id = ${create.id}`.execute(t.db);
    expect(log[0]?.n).toBe(1);
  });
});

describe('a batch that failed for good', () => {
  it('logs its commands that never committed as 503 failures, and only those', async () => {
    const committed = command('user.create', { userId: uuidv7(), data: { userName: 'made-it@example.com' } });
    const lost = command('user.create', { userId: uuidv7(), data: { userName: 'never-applied@example.com' } });
    await applyCommandBatch(t.db, [committed], later());
    await recordUnapplied(t.db, [committed, lost], {
      ok: false,
      error: { status: 503, detail: 'The service could not apply the request; try again later' },
    });
    const { rows } = await sql<{ command_id: string; http_status: number }>`
      select command_id, http_status from provisioning_log where command_id = any(${[committed.id, lost.id]}::uuid[]) order by http_status`.execute(
      t.db,
    );
    expect(rows).toEqual([
      { command_id: committed.id, http_status: 201 },
      { command_id: lost.id, http_status: 503 },
    ]);
    const { rows: failures } = await sql<{
      n: number;
    }>`select count(*)::int as n from outbox where kind = 'failure' and payload->>'resourceName' = 'never-applied@example.com'`.execute(
      t.db,
    );
    expect(failures[0]?.n).toBe(1);
  });
});
