import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { GroupSql, compileRelationFilter } from '../index';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { insertTenant } from './tenant-repository';
import {
  addFoundMembers,
  addMembers,
  groupsContaining,
  groupsOfUsers,
  memberSlice,
  removeMembers,
  removeMembersWhere,
  replaceMembers,
  resolveMembers,
} from './membership-repository';
import {
  deleteResource,
  findResource,
  insertResources,
  isNameTaken,
  keyOf,
  lockResources,
  touchResources,
  updateResourceData,
} from './resource-repository';

let t: TestDatabase;
const tenantA = randomUUID();
const tenantB = randomUUID();

beforeAll(async () => {
  t = await createTestDatabase();
  await insertTenant(t.db, { id: tenantA, name: 'a', tokenHash: Buffer.alloc(32) });
  await insertTenant(t.db, { id: tenantB, name: 'b', tokenHash: Buffer.alloc(32) });
});
afterAll(() => t.drop());

async function users(tenantId: string, ...names: string[]): Promise<string[]> {
  const rows = names.map((userName) => ({ tenantId, id: uuidv7(), data: { userName } }));
  await insertResources(t.db, 'users', rows);
  return rows.map((row) => row.id);
}

async function group(tenantId: string, displayName: string): Promise<string> {
  const id = uuidv7();
  const inserted = await insertResources(t.db, 'groups', [{ tenantId, id, data: { displayName } }]);
  if (!inserted.has(keyOf(tenantId, id))) throw new Error('group not created');
  return id;
}

describe('resource rows', () => {
  it('enforce case-insensitive unique names per tenant in the database, for users and groups', async () => {
    const ids = [uuidv7(), uuidv7(), uuidv7()];
    const inserted = await insertResources(t.db, 'users', [
      { tenantId: tenantA, id: ids[0] as string, data: { userName: 'Dup@Example.com' } },
      { tenantId: tenantA, id: ids[1] as string, data: { userName: 'dup@example.COM' } },
      { tenantId: tenantB, id: ids[2] as string, data: { userName: 'dup@example.com' } },
    ]);
    expect([...inserted.keys()].toSorted()).toEqual(
      [keyOf(tenantA, ids[0] as string), keyOf(tenantB, ids[2] as string)].toSorted(),
    );
    expect(await isNameTaken(t.db, 'users', tenantA, 'DUP@example.com', uuidv7())).toBe(true);
    expect(await isNameTaken(t.db, 'users', tenantA, 'DUP@example.com', ids[0] as string)).toBe(false);

    await group(tenantA, 'Engineering');
    const clash = await insertResources(t.db, 'groups', [
      { tenantId: tenantA, id: uuidv7(), data: { displayName: 'ENGINEERING' } },
    ]);
    expect(clash.size).toBe(0);
    expect(await isNameTaken(t.db, 'groups', tenantA, 'engineering', uuidv7())).toBe(true);
  });

  it("never return another tenant's row", async () => {
    const [id] = await users(tenantA, 'only-a@example.com');
    expect(await findResource(t.db, 'users', { tenantId: tenantA, id: id as string })).toMatchObject({
      id,
      version: 1,
    });
    expect(await findResource(t.db, 'users', { tenantId: tenantB, id: id as string })).toBeUndefined();
    expect(await deleteResource(t.db, 'users', { tenantId: tenantB, id: id as string })).toBe(false);
  });

  it('bump version and lastModified on update and touch, and lock in key order', async () => {
    const [id] = (await users(tenantA, 'versioned@example.com')) as [string];
    const updated = await t.db.transaction().execute(async (trx) => {
      const locked = await lockResources(trx, 'users', [
        { tenantId: tenantA, id },
        { tenantId: tenantB, id },
      ]);
      expect([...locked.keys()]).toEqual([keyOf(tenantA, id)]);
      return updateResourceData(
        trx,
        'users',
        { tenantId: tenantA, id },
        { userName: 'versioned@example.com', displayName: 'V' },
      );
    });
    expect(updated.version).toBe(2);
    const touched = await touchResources(t.db, 'users', tenantA, [id]);
    expect(touched.get(id)?.version).toBe(3);
  });
});

describe('memberships', () => {
  it('are added, removed and replaced as deltas, idempotently', async () => {
    const [u1, u2, u3] = (await users(tenantA, 'm1@example.com', 'm2@example.com', 'm3@example.com')) as [
      string,
      string,
      string,
    ];
    const g = await group(tenantA, 'Deltas');
    const sub = await group(tenantA, 'Deltas child');
    expect(await resolveMembers(t.db, tenantA, [u1, sub, uuidv7()])).toEqual(
      new Map([
        [u1, 'User'],
        [sub, 'Group'],
      ]),
    );

    expect(
      await addMembers(t.db, tenantA, g, [
        { id: u1, type: 'User' },
        { id: u2, type: 'User' },
        { id: sub, type: 'Group' },
      ]),
    ).toHaveLength(3);
    expect(await addMembers(t.db, tenantA, g, [{ id: u1, type: 'User' }])).toEqual([]);
    expect((await memberSlice(t.db, tenantA, g, undefined, 10)).map((m) => m.id).toSorted()).toEqual(
      [u1, u2, sub].toSorted(),
    );
    expect((await removeMembers(t.db, tenantA, g, [u2, uuidv7()])).removed).toEqual([{ id: u2, type: 'User' }]);
    expect(
      await removeMembersWhere(
        t.db,
        tenantA,
        g,
        compileRelationFilter(GroupSql, 'members', {
          type: 'compare',
          path: { attr: 'type' },
          op: 'eq',
          value: 'Group',
        }),
      ),
    ).toEqual({ removed: [{ id: sub, type: 'Group' }] });
    const delta = await replaceMembers(t.db, tenantA, g, [
      { id: u2, type: 'User' },
      { id: u3, type: 'User' },
    ]);
    expect(delta.removed).toEqual([{ id: u1, type: 'User' }]);
    expect(delta.added.map((m) => m.id).toSorted()).toEqual([u2, u3].toSorted());
    const members = await memberSlice(t.db, tenantA, g, undefined, 10);
    expect(members.map((m) => m.id).toSorted()).toEqual([u2, u3].toSorted());
    expect(members.every((m) => m.type === 'User' && m.display?.endsWith('@example.com'))).toBe(true);
    expect((await removeMembersWhere(t.db, tenantA, g)).removed).toHaveLength(2);
  });

  it('are dropped by the database when the member goes, and refused for members that do not exist', async () => {
    const [u] = (await users(tenantA, 'leaving@example.com')) as [string];
    const g = await group(tenantA, 'Cascade');
    await addMembers(t.db, tenantA, g, [{ id: u, type: 'User' }]);
    expect(await groupsContaining(t.db, tenantA, [u])).toEqual([g]);
    expect((await groupsOfUsers(t.db, tenantA, [u])).get(u)).toEqual([
      { value: g, display: 'Cascade', type: 'direct' },
    ]);
    expect(await findResource(t.db, 'users', { tenantId: tenantA, id: u }, true)).toMatchObject({
      derived: { groups: [{ value: g, display: 'Cascade', type: 'direct' }] },
    });
    await deleteResource(t.db, 'users', { tenantId: tenantA, id: u });
    expect(await memberSlice(t.db, tenantA, g, undefined, 10)).toEqual([]);

    await expect(addMembers(t.db, tenantA, g, [{ id: uuidv7(), type: 'User' }])).rejects.toMatchObject({
      code: '23503',
    });
    const [other] = (await users(tenantB, 'other-tenant@example.com')) as [string];
    await expect(addMembers(t.db, tenantA, g, [{ id: other, type: 'User' }])).rejects.toMatchObject({ code: '23503' });
    await expect(addMembers(t.db, tenantA, g, [{ id: g, type: 'Group' }])).rejects.toMatchObject({ code: '23514' });
  });

  it('are resolved and added in one statement: only users and groups of the tenant, never the group itself', async () => {
    const [u1, u2] = (await users(tenantA, 'found1@example.com', 'found2@example.com')) as [string, string];
    const [other] = (await users(tenantB, 'found-elsewhere@example.com')) as [string];
    const g = await group(tenantA, 'Found');
    const sub = await group(tenantA, 'Found child');
    await addMembers(t.db, tenantA, g, [{ id: u2, type: 'User' }]);
    const missing = uuidv7();

    const { found, added, bumped } = await addFoundMembers(t.db, tenantA, g, [u1, u2, sub, g, other, missing], false);
    expect(bumped).toBeUndefined();
    expect(found).toEqual(
      new Map([
        [u1, 'User'],
        [u2, 'User'],
        [sub, 'Group'],
        [g, 'Group'],
      ]),
    );
    // u2 was a member already; the group itself is found (for the caller to refuse) but not added.
    expect(added.toSorted((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: u1, type: 'User' },
        { id: sub, type: 'Group' },
      ].toSorted((a, b) => a.id.localeCompare(b.id)),
    );
    expect((await memberSlice(t.db, tenantA, g, undefined, 10)).map((m) => m.id).toSorted()).toEqual(
      [u1, u2, sub].toSorted(),
    );
    expect(await addFoundMembers(t.db, tenantA, g, [], true)).toEqual({ found: new Map(), added: [] });

    // Asked to, it gives the group a new version, but only when a membership was added.
    const before = await findResource(t.db, 'groups', { tenantId: tenantA, id: g });
    const [u3] = (await users(tenantA, 'found3@example.com')) as [string];
    const again = await addFoundMembers(t.db, tenantA, g, [u1], true);
    expect(again).toMatchObject({ added: [] });
    expect(again.bumped).toBeUndefined();
    const bumping = await addFoundMembers(t.db, tenantA, g, [u1, u3], true);
    expect(bumping.added).toEqual([{ id: u3, type: 'User' }]);
    expect(bumping.bumped?.version).toBe((before?.version ?? 0) + 1);
    expect((await findResource(t.db, 'groups', { tenantId: tenantA, id: g }))?.version).toBe(bumping.bumped?.version);
  });

  it('stream a large group in bounded slices', async () => {
    const g = await group(tenantA, 'Large');
    const ids = await users(tenantA, ...Array.from({ length: 25 }, (_, n) => `slice-${n}@example.com`));
    await addMembers(
      t.db,
      tenantA,
      g,
      ids.map((id) => ({ id, type: 'User' as const })),
    );
    const seen: string[] = [];
    for (let after: string | undefined; ;) {
      const slice = await memberSlice(t.db, tenantA, g, after, 10);
      if (slice.length === 0) break;
      seen.push(...slice.map((m) => m.id));
      after = slice[slice.length - 1]?.id;
    }
    expect(seen).toEqual([...ids].toSorted());
    const { rows } = await sql<{ n: string }>`select count(*) as n from group_members where group_id = ${g}`.execute(
      t.db,
    );
    expect(Number(rows[0]?.n)).toBe(25);
  });
});
