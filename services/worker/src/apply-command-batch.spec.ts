import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { findUser, insertTenant } from '@scimflow/db';
import type { Command, CommandMap, CommandName, CommandOutcome, ItemResult } from '@scimflow/jobs';
import { Urn } from '@scimflow/scim';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/test-database';
import { applyCommandBatch } from './apply-command-batch';

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
  const [outcome] = outcomes(await applyCommandBatch(t.db, [command('user.create', { userId, data: { userName, ...extra } })], later()));
  expect(outcome).toMatchObject({ ok: true, status: 201 });
  return userId;
}

const patchOp = (op: 'add' | 'replace' | 'remove', path: string | undefined, value?: unknown) =>
  ({ op, ...(path ? { path } : {}), ...(value === undefined ? {} : { value }) }) as CommandMap['user.patch']['operations'][number];

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
    expect(await findUser(t.db, tenantId, existing)).toMatchObject({ version: 2, data: { displayName: 'Existing' } });
  });

  it('applies a command once however often its job runs', async () => {
    const userId = await createUser('replayed@example.com');
    const patch = command('user.patch', { userId, operations: [patchOp('add', 'emails', [{ type: 'work', value: 'a@example.com' }])] });
    const first = outcomes(await applyCommandBatch(t.db, [patch], later()));
    const second = outcomes(await applyCommandBatch(t.db, [patch], later()));
    expect(first[0]).toMatchObject({ ok: true, status: 200, resource: { version: 2 } });
    expect(second[0]).toMatchObject({ ok: true, status: 200, resource: { version: 2 } });
    expect((await findUser(t.db, tenantId, userId))?.version).toBe(2);

    const create = command('user.create', { userId: uuidv7(), data: { userName: 'created-once@example.com' } });
    const again = outcomes(await applyCommandBatch(t.db, [create, command('user.create', { userId: uuidv7(), data: { userName: 'other@example.com' } })], later()));
    expect(again[0]).toMatchObject({ ok: true, status: 201 });
    expect(outcomes(await applyCommandBatch(t.db, [create], later()))[0]).toMatchObject({ ok: true, status: 201 });
  });

  it('drops commands whose deadline passed, without recording them', async () => {
    const expired = command('user.create', { userId: uuidv7(), data: { userName: 'too-late@example.com' } });
    expect(outcomes(await applyCommandBatch(t.db, [expired], Date.now() - 1))[0]).toMatchObject({ ok: false, error: { status: 503 } });
    expect(outcomes(await applyCommandBatch(t.db, [expired], later()))[0]).toMatchObject({ ok: true, status: 201 });
  });

  it('keeps a lost uniqueness race from failing the other commands of the batch', async () => {
    const x = await createUser('race-x@example.com');
    const y = await createUser('race-y@example.com');
    const bystander = await createUser('bystander@example.com');
    const rename = (userId: string) => command('user.patch', { userId, operations: [patchOp('replace', 'userName', 'taken@example.com')] });
    const [left, right] = await Promise.all([
      applyCommandBatch(t.db, [rename(x), command('user.patch', { userId: bystander, operations: [patchOp('replace', 'title', 'Left')] })], later()),
      applyCommandBatch(t.db, [rename(y), command('user.patch', { userId: bystander, operations: [patchOp('replace', 'nickName', 'Right')] })], later()),
    ]);
    const renames = [outcomes(left)[0], outcomes(right)[0]];
    expect(renames.filter((o) => o?.ok)).toHaveLength(1);
    expect(renames.filter((o) => !o?.ok && o?.error.scimType === 'uniqueness')).toHaveLength(1);
    expect((await findUser(t.db, tenantId, bystander))?.data).toMatchObject({ title: 'Left', nickName: 'Right' });
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
    const results = await Promise.all(changes.map(([path, value]) => applyCommandBatch(t.db, [command('user.patch', { userId, operations: [patchOp('replace', path, value)] })], later())));
    expect(results.map((r) => outcomes(r)[0]?.ok)).toEqual(changes.map(() => true));
    const stored = await findUser(t.db, tenantId, userId);
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
