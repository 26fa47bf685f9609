import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { parseFilter } from '@scimflow/scim';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { compileUserFilter } from '../filter/user-filter-sql';
import { insertTenant } from './tenant-repository';
import { findUser, insertUsers, isUserNameTaken, listUsers, lockUsers, updateUserData, deleteUser, keyOf } from './user-repository';

let t: TestDatabase;
const tenantA = randomUUID();
const tenantB = randomUUID();

beforeAll(async () => {
  t = await createTestDatabase();
  await insertTenant(t.db, { id: tenantA, name: 'a', tokenHash: Buffer.alloc(32) });
  await insertTenant(t.db, { id: tenantB, name: 'b', tokenHash: Buffer.alloc(32) });
});
afterAll(() => t.drop());

function user(userName: string, extra: Record<string, unknown> = {}) {
  return { userName, ...extra } as { userName: string };
}

describe('user repository', () => {
  it('enforces case-insensitive userName uniqueness per tenant in the database', async () => {
    const ids = [uuidv7(), uuidv7(), uuidv7()];
    const inserted = await insertUsers(t.db, [
      { tenantId: tenantA, id: ids[0] as string, data: user('Dup@Example.com') },
      { tenantId: tenantA, id: ids[1] as string, data: user('dup@example.COM') },
      { tenantId: tenantB, id: ids[2] as string, data: user('dup@example.com') },
    ]);
    expect(inserted.has(keyOf(tenantA, ids[0] as string))).toBe(true);
    expect(inserted.has(keyOf(tenantA, ids[1] as string))).toBe(false);
    expect(inserted.has(keyOf(tenantB, ids[2] as string))).toBe(true);
    expect(await isUserNameTaken(t.db, tenantA, 'DUP@example.com', uuidv7())).toBe(true);
    expect(await isUserNameTaken(t.db, tenantA, 'DUP@example.com', ids[0] as string)).toBe(false);
  });

  it('never returns another tenant\'s user', async () => {
    const id = uuidv7();
    await insertUsers(t.db, [{ tenantId: tenantA, id, data: user('only-a@example.com') }]);
    expect(await findUser(t.db, tenantA, id)).toMatchObject({ id, version: 1 });
    expect(await findUser(t.db, tenantB, id)).toBeUndefined();
    const { total } = await listUsers(t.db, tenantB, compileUserFilter(parseFilter('userName eq "only-a@example.com"')), { offset: 0, limit: 10 });
    expect(total).toBe(0);
  });

  it('bumps the version and lastModified on update, and locks rows in key order', async () => {
    const id = uuidv7();
    const [created] = [...(await insertUsers(t.db, [{ tenantId: tenantA, id, data: user('versioned@example.com') }])).values()];
    const updated = await t.db.transaction().execute(async (trx) => {
      const locked = await lockUsers(trx, [{ tenantId: tenantA, id }, { tenantId: tenantB, id }]);
      expect([...locked.keys()]).toEqual([keyOf(tenantA, id)]);
      return updateUserData(trx, { tenantId: tenantA, id }, user('versioned@example.com', { displayName: 'V' }));
    });
    expect(updated.version).toBe(2);
    expect(updated.created).toBe(created?.created);
    expect(Date.parse(updated.lastModified)).toBeGreaterThanOrEqual(Date.parse(created?.lastModified ?? ''));
    expect(await deleteUser(t.db, { tenantId: tenantB, id })).toBe(false);
    expect(await deleteUser(t.db, { tenantId: tenantA, id })).toBe(true);
  });

  it('pages in a stable order with correct totals', async () => {
    const tenant = randomUUID();
    await insertTenant(t.db, { id: tenant, name: 'paging', tokenHash: Buffer.alloc(32) });
    const ids = Array.from({ length: 25 }, () => uuidv7());
    await insertUsers(t.db, ids.map((id, n) => ({ tenantId: tenant, id, data: user(`page-${n}@example.com`) })));
    const pages = [];
    for (let offset = 0; offset < 30; offset += 10) pages.push(await listUsers(t.db, tenant, undefined, { offset, limit: 10 }));
    expect(pages.map((p) => p.resources.length)).toEqual([10, 10, 5]);
    expect(pages.every((p) => p.total === 25)).toBe(true);
    expect(pages.flatMap((p) => p.resources.map((r) => r.id))).toEqual(ids);
    expect(await listUsers(t.db, tenant, undefined, { offset: 0, limit: 0 })).toEqual({ resources: [], total: 25 });
    expect(await listUsers(t.db, tenant, undefined, { offset: 100, limit: 10 })).toEqual({ resources: [], total: 25 });
  });
});

describe('user filters in SQL', () => {
  const tenant = randomUUID();
  const ids = { alice: uuidv7(), bob: uuidv7(), carol: uuidv7() };

  beforeAll(async () => {
    await insertTenant(t.db, { id: tenant, name: 'filters', tokenHash: Buffer.alloc(32) });
    await insertUsers(t.db, [
      { tenantId: tenant, id: ids.alice, data: user('Alice@Contoso.com', { externalId: 'A-1', active: true, emails: [{ type: 'work', value: 'alice@contoso.com' }, { type: 'home', value: 'al@home.example' }] }) },
      { tenantId: tenant, id: ids.bob, data: user('bob@contoso.com', { externalId: 'a-1', active: false, emails: [{ type: 'home', value: 'alice@contoso.com' }] }) },
      { tenantId: tenant, id: ids.carol, data: user('carol@contoso.com', { externalId: 'jyoung', name: { givenName: 'Carol' }, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' } }) },
    ]);
  });

  async function matching(filter: string): Promise<string[]> {
    const { resources } = await listUsers(t.db, tenant, compileUserFilter(parseFilter(filter)), { offset: 0, limit: 100 });
    return resources.map((r) => r.id).sort();
  }

  it.each([
    ['userName eq "alice@contoso.com"', ['alice']],
    ['USERNAME eq "ALICE@CONTOSO.COM"', ['alice']],
    ['externalId eq "A-1"', ['alice']],
    ['externalId eq "a-1"', ['bob']],
    ['externalId eq jyoung', ['carol']],
    ['emails[type eq "work"].value eq "ALICE@contoso.com"', ['alice']],
    ['emails[type eq "work" and value eq "alice@contoso.com"]', ['alice']],
    ['emails.value eq "alice@contoso.com"', ['alice', 'bob']],
    ['active eq false', ['bob']],
    ['active eq "False"', ['bob']],
    ['name.givenName eq "carol"', ['carol']],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', ['carol']],
    ['userName eq "alice@contoso.com" and active eq true', ['alice']],
    ['userName eq "alice@contoso.com" and externalId eq "nope"', []],
    ['id eq "not-a-uuid"', []],
  ])('%s', async (filter, names) => {
    expect(await matching(filter)).toEqual(names.map((n) => ids[n as keyof typeof ids]).sort());
  });

  it('matches by id', async () => {
    expect(await matching(`id eq "${ids.bob}"`)).toEqual([ids.bob]);
  });

  it.each(['userName ne "x"', 'userName sw "a"', 'userName pr', 'userName eq "a" or userName eq "b"', 'not (userName eq "a")', 'meta.created gt "2020-01-01T00:00:00Z"', 'nickName eq null', 'displayName[value eq "x"]', 'bogus eq "x"'])(
    'answers invalidFilter for what it does not handle: %s',
    (filter) => {
      expect(() => compileUserFilter(parseFilter(filter))).toThrow(expect.objectContaining({ status: 400, scimType: 'invalidFilter' }));
    },
  );
});
