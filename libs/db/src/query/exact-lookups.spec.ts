import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { GroupResource, searchFromQuery, UserResource, type ResourceType, type ScimDocument } from '@scimflow/scim';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { addMembers } from '../repositories/membership-repository';
import { insertResources } from '../repositories/resource-repository';
import { insertTenant } from '../repositories/tenant-repository';
import { compileFilter } from './filter-sql';
import { searchResources } from './resource-search';
import { sqlFor } from './resource-sql';
import { exactLookup, findExactly } from './exact-lookups';

let t: TestDatabase;
const [acme, globex] = [randomUUID(), randomUUID()];

/** A user of a tenant, built from the attributes a lookup reads. */
async function addUser(tenantId: string, data: ScimDocument): Promise<string> {
  const id = uuidv7();
  await insertResources(t.db, 'users', [{ tenantId, id, data }]);
  return id;
}

beforeAll(async () => {
  t = await createTestDatabase();
  for (const id of [acme, globex]) await insertTenant(t.db, { id, name: id, tokenHash: Buffer.alloc(32) });
});
afterAll(() => t.drop());

describe('which searches are lookups', () => {
  it.each([
    ['filter=userName eq "a@b.c"', { attribute: 'userName', value: 'a@b.c' }],
    ['filter=USERNAME eq "a@b.c"&startIndex=1&count=100', { attribute: 'userName', value: 'a@b.c' }],
    [
      'filter=urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"&attributes=userName',
      { attribute: 'userName', value: 'a' },
    ],
    ['filter=externalId eq jyoung', { attribute: 'externalId', value: 'jyoung' }],
    ['filter=externalId eq "x"&count=1', { attribute: 'externalId', value: 'x' }],
  ])('%s is a lookup', (query, lookup) => {
    expect(exactLookup(UserResource, searchFromQuery(Object.fromEntries(new URLSearchParams(query))))).toEqual(lookup);
  });

  it.each([
    'filter=userName ne "a"',
    'filter=userName co "a"',
    'filter=displayName eq "a"',
    'filter=emails[type eq "work"].value eq "a"',
    'filter=name.givenName eq "a"',
    'filter=userName eq "a" and active eq true',
    'filter=userName eq null',
    'filter=userName eq "a"&startIndex=2',
    'filter=userName eq "a"&count=0',
    'filter=userName eq "a"&sortBy=userName',
    'filter=userName eq "a"&cursor=',
    'filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "a"',
    'startIndex=1&count=1',
  ])('%s is a search', (query) => {
    expect(exactLookup(UserResource, searchFromQuery(Object.fromEntries(new URLSearchParams(query))))).toBeUndefined();
  });

  it.each([
    ['filter=displayName eq "Sales"&excludedAttributes=members', { attribute: 'displayName', value: 'Sales' }],
    ['filter=externalId eq "g-1"', { attribute: 'externalId', value: 'g-1' }],
    ['filter=userName eq "a"', undefined],
    ['filter=members.value eq "x"', undefined],
  ])('Groups: %s', (query, lookup) => {
    expect(exactLookup(GroupResource, searchFromQuery(Object.fromEntries(new URLSearchParams(query))))).toEqual(lookup);
  });
});

/** The ids each lookup (tenant, value, page size) finds; undefined where the page may not hold them all. */
async function idsFound(attribute: string, lookups: [string, string, number?][], resource = UserResource) {
  const items = lookups.map(([tenantId, value, limit = 100]) => ({ tenantId, value, limit }));
  return (await findExactly(t.db, resource, attribute, items, false)).map((found) => found?.map((each) => each.id));
}

describe('findExactly', () => {
  it("answers each lookup with its own tenant's users, in the order asked, duplicates and misses included", async () => {
    const ann = await addUser(acme, { userName: 'Ann@Example.com', externalId: 'E-1' });
    const annToo = await addUser(globex, { userName: 'ann@example.COM', externalId: 'e-1' });
    const found = await idsFound('userName', [
      [globex, 'ANN@example.com'],
      [acme, 'ann@example.com', 1],
      [acme, 'nobody@example.com'],
      [acme, 'Ann@Example.com'],
    ]);
    expect(found).toEqual([[annToo], [ann], [], [ann]]);
  });

  it('compares externalId case-exactly, as the filter does', async () => {
    const upper = await addUser(acme, { userName: 'upper@example.com', externalId: 'CaseX' });
    const lower = await addUser(acme, { userName: 'lower@example.com', externalId: 'casex' });
    const found = await idsFound('externalId', [
      [acme, 'CaseX'],
      [acme, 'casex'],
      [acme, 'CASEX'],
    ]);
    expect(found).toEqual([[upper], [lower], []]);
  });

  it('leaves a page that may not hold every match of a non-unique externalId to the search', async () => {
    const shared = await Promise.all(
      ['s1', 's2', 's3'].map((name) => addUser(acme, { userName: `${name}@example.com`, externalId: 'shared' })),
    );
    const found = await idsFound('externalId', [
      [acme, 'shared', 2],
      [acme, 'shared', 3],
      [acme, 'shared', 4],
    ]);
    expect(found).toEqual([undefined, undefined, shared.toSorted()]);
  });

  it("answers a group's displayName lookup case-insensitively, without members", async () => {
    const groupId = uuidv7();
    await insertResources(t.db, 'groups', [{ tenantId: globex, id: groupId, data: { displayName: 'Sales Team' } }]);
    expect(
      await idsFound(
        'displayName',
        [
          [globex, 'SALES team'],
          [acme, 'Sales Team'],
        ],
        GroupResource,
      ),
    ).toEqual([[groupId], []]);
  });

  it("selects each user's groups when asked", async () => {
    const member = await addUser(acme, { userName: 'member@example.com' });
    const groupId = uuidv7();
    await insertResources(t.db, 'groups', [{ tenantId: acme, id: groupId, data: { displayName: 'Lookups' } }]);
    await addMembers(t.db, acme, groupId, [{ id: member, type: 'User' }]);
    const lookup = { tenantId: acme, value: 'MEMBER@example.com', limit: 100 };
    const [withGroups] = await findExactly(t.db, UserResource, 'userName', [lookup], true);
    const [without] = await findExactly(t.db, UserResource, 'userName', [lookup], false);
    expect(withGroups?.[0]?.derived?.groups).toEqual([{ value: groupId, display: 'Lookups', type: 'direct' }]);
    expect(without?.[0]?.derived).toBeUndefined();
  });

  // The oracle: the search each request would otherwise run (the filter compiled as usual).
  async function searched(resource: ResourceType, tenantId: string, attribute: string, value: string, limit: number) {
    const where = compileFilter(sqlFor(resource), { type: 'compare', path: { attr: attribute }, op: 'eq', value });
    return searchResources(t.db, resource, { tenantId, where, page: { mode: 'index', offset: 0, limit } });
  }

  const letters = fc.constantFrom(
    'a',
    'A',
    'ß',
    'SS',
    'İ',
    'i',
    'ı',
    'Σ',
    'σ',
    'ς',
    'é',
    'É',
    '中',
    '%',
    '_',
    '\\',
    ' ',
  );
  const word = fc.array(letters, { minLength: 1, maxLength: 3 }).map((chars) => chars.join(''));

  it.each([
    ['User', 'userName'],
    ['Group', 'displayName'],
  ] as const)(
    'finds the %s lookups the search finds, for any names and values (case, accents, non-Latin letters)',
    async (resourceName, name) => {
      const resource: ResourceType = resourceName === 'User' ? UserResource : GroupResource;
      const tenantId = randomUUID();
      await insertTenant(t.db, { id: tenantId, name: tenantId, tokenHash: Buffer.alloc(32) });
      const table = resourceName === 'User' ? 'users' : 'groups';
      const attribute = fc.constantFrom(name, 'externalId');
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(word, { maxLength: 6 }),
          fc.array(fc.record({ attribute, value: word, limit: fc.integer({ min: 1, max: 3 }) }), {
            minLength: 1,
            maxLength: 8,
          }),
          async (names, lookups) => {
            run++;
            // A name taken case-insensitively is skipped, as a POST of it would be refused; the second
            // resource makes externalIds repeat, which they may.
            for (const each of names)
              await insertResources(t.db, table, [
                { tenantId, id: uuidv7(), data: { [name]: each, externalId: each.toLowerCase() } },
                { tenantId, id: uuidv7(), data: { [name]: `${each}~${run}`, externalId: each.toLowerCase() } },
              ]);
            for (const kind of [name, 'externalId']) {
              const asked = lookups.filter((lookup) => lookup.attribute === kind);
              const items = asked.map(({ value, limit }) => ({ tenantId, value, limit }));
              const found = await findExactly(t.db, resource, kind, items, false);
              for (const [index, { value, limit }] of asked.entries()) {
                const page = await searched(resource, tenantId, kind, value, limit);
                const each = found[index];
                if (each === undefined) {
                  expect(kind).toBe('externalId');
                  expect(page.rows).toHaveLength(limit);
                } else {
                  expect(each.map((row) => row.id)).toEqual(page.rows.map((row) => row.id));
                  expect(page.total).toBe(each.length);
                }
              }
            }
          },
        ),
        { numRuns: 50 },
      );
    },
  );
});
