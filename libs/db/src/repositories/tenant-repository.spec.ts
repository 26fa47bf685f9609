import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { migrateToLatest } from '../migrator';
import {
  findTenant,
  findTenantTokenHash,
  insertTenant,
  replaceTenantTokenHash,
  TENANT_AUTH_CHANNEL,
} from './tenant-repository';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('tenant repository', () => {
  it('stores only the token hash and announces rotations on commit', async () => {
    const id = randomUUID();
    const first = Buffer.alloc(32, 1);
    const tenant = await insertTenant(t.db, { id, name: 'acme', tokenHash: first });
    expect(tenant).toMatchObject({ id, name: 'acme', settings: {} });
    expect(await findTenantTokenHash(t.db, id)).toEqual(first);

    const listener = new Client({ connectionString: t.url });
    await listener.connect();
    const heard = new Promise<string | undefined>((resolve) => listener.on('notification', (n) => resolve(n.payload)));
    await listener.query(`LISTEN ${TENANT_AUTH_CHANNEL}`);
    expect(await replaceTenantTokenHash(t.db, id, Buffer.alloc(32, 2))).toBe(true);
    expect(await heard).toBe(id);
    await listener.end();

    expect(await findTenantTokenHash(t.db, id)).toEqual(Buffer.alloc(32, 2));
    expect(await replaceTenantTokenHash(t.db, randomUUID(), Buffer.alloc(32))).toBe(false);
    expect(await findTenant(t.db, randomUUID())).toBeUndefined();
  });

  it('migrations are idempotent', async () => {
    expect(await migrateToLatest(t.db)).toEqual([]);
  });
});
