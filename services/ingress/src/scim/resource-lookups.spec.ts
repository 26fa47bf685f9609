import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { insertResources, insertTenant } from '@scimflow/db';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { GroupResource, UserResource } from '@scimflow/scim';
import { ResourceLookups } from './resource-lookups';

let t: TestDatabase;
const [acme, globex] = [randomUUID(), randomUUID()];
const ids = new Map<string, string>();

beforeAll(async () => {
  t = await createTestDatabase();
  for (const tenantId of [acme, globex]) {
    await insertTenant(t.db, { id: tenantId, name: tenantId, tokenHash: Buffer.alloc(32) });
    for (const name of ['ann', 'bob']) {
      const id = uuidv7();
      ids.set(`${tenantId}/${name}`, id);
      await insertResources(t.db, 'users', [
        { tenantId, id, data: { userName: `${name}@example.com`, externalId: `${name}-ext` } },
      ]);
    }
    const staff = uuidv7();
    ids.set(`${tenantId}/staff`, staff);
    await insertResources(t.db, 'groups', [{ tenantId, id: staff, data: { displayName: 'Staff' } }]);
  }
});
afterAll(() => t.drop());

/** The lookups and the statements they took (lookups per statement, as the metric sees them). */
function lookups(): { lookups: ResourceLookups; statements: number[] } {
  const statements: number[] = [];
  const metrics = { observeLookups: (count: number) => statements.push(count) };
  return { lookups: new ResourceLookups(t.db, metrics), statements };
}

const idsOf = (users: { id: string }[] | undefined) => users?.map((user) => user.id);

describe('ResourceLookups', () => {
  it("answers lookups asked together, of two tenants and three attributes, in one statement per attribute, each with its own tenant's resources", async () => {
    const { lookups: users, statements } = lookups();
    const asked = [
      users.find(globex, GroupResource, { attribute: 'displayName', value: 'STAFF' }, 100),
      users.find(acme, UserResource, { attribute: 'userName', value: 'ANN@example.com' }, 100, true),
      users.find(globex, UserResource, { attribute: 'userName', value: 'ann@example.com' }, 100, false),
      users.find(globex, UserResource, { attribute: 'externalId', value: 'bob-ext' }, 100, false),
      users.find(acme, UserResource, { attribute: 'externalId', value: 'BOB-EXT' }, 100, false),
      users.find(acme, UserResource, { attribute: 'userName', value: 'nobody@example.com' }, 1, false),
    ];
    expect((await Promise.all(asked)).map(idsOf)).toEqual([
      [ids.get(`${globex}/staff`)],
      [ids.get(`${acme}/ann`)],
      [ids.get(`${globex}/ann`)],
      [ids.get(`${globex}/bob`)],
      [],
      [],
    ]);
    expect(statements.toSorted((a, b) => a - b)).toEqual([1, 2, 3]);
  });

  it('answers the others when one lookup breaks the statement, and that one with its own error', async () => {
    const { lookups: users } = lookups();
    // A value no request can carry (the filter parser refuses U+0000): Postgres refuses the statement.
    const asked = [
      users.find(acme, UserResource, { attribute: 'userName', value: 'bob@example.com' }, 100, false),
      users.find(globex, UserResource, { attribute: 'userName', value: 'bad\u0000value' }, 100, false),
      users.find(globex, UserResource, { attribute: 'userName', value: 'bob@example.com' }, 100, false),
    ];
    const settled = await Promise.allSettled(asked);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[0]?.status === 'fulfilled' && idsOf(settled[0].value)).toEqual([ids.get(`${acme}/bob`)]);
    expect(settled[2]?.status === 'fulfilled' && idsOf(settled[2].value)).toEqual([ids.get(`${globex}/bob`)]);
  });
});
