import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { migrateToLatest } from '../migrator';
import {
  findTenant,
  deleteTenant,
  findTenantCredentials,
  setTenantDisabled,
  touchTenantToken,
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
    expect(await findTenantCredentials(t.db, id)).toEqual({ tokenHash: first, disabled: false });

    const listener = new Client({ connectionString: t.url });
    await listener.connect();
    const heard = new Promise<string | undefined>((resolve) => listener.on('notification', (n) => resolve(n.payload)));
    await listener.query(`LISTEN ${TENANT_AUTH_CHANNEL}`);
    expect(await replaceTenantTokenHash(t.db, id, Buffer.alloc(32, 2))).toBe(true);
    expect(await heard).toBe(id);
    await listener.end();

    expect(await findTenantCredentials(t.db, id)).toEqual({ tokenHash: Buffer.alloc(32, 2), disabled: false });
    expect(await replaceTenantTokenHash(t.db, randomUUID(), Buffer.alloc(32))).toBe(false);
    expect(await findTenant(t.db, randomUUID())).toBeUndefined();
  });

  it('keeps the replaced token valid for a grace period, disables, records use and deletes', async () => {
    const id = randomUUID();
    await insertTenant(t.db, { id, name: 'graced', tokenHash: Buffer.alloc(32, 3) });
    expect(await replaceTenantTokenHash(t.db, id, Buffer.alloc(32, 4), 3600)).toBe(true);
    expect(await findTenantCredentials(t.db, id)).toEqual({
      tokenHash: Buffer.alloc(32, 4),
      previous: { tokenHash: Buffer.alloc(32, 3), expiresAt: expect.any(Date) },
      disabled: false,
    });
    // A rotation without grace ends the earlier grace too.
    expect(await replaceTenantTokenHash(t.db, id, Buffer.alloc(32, 5))).toBe(true);
    expect((await findTenantCredentials(t.db, id))?.previous).toBeUndefined();

    expect(await setTenantDisabled(t.db, id, true)).toBe(true);
    expect(await findTenantCredentials(t.db, id)).toMatchObject({ disabled: true });
    expect(await setTenantDisabled(t.db, id, false)).toBe(true);
    expect(await findTenantCredentials(t.db, id)).toMatchObject({ disabled: false });

    await touchTenantToken(t.db, id);
    const used = (await findTenant(t.db, id))?.tokenLastUsedAt;
    expect(used).toBeInstanceOf(Date);
    await touchTenantToken(t.db, id);
    expect((await findTenant(t.db, id))?.tokenLastUsedAt).toEqual(used);

    expect(await deleteTenant(t.db, id)).toBe(true);
    expect(await findTenant(t.db, id)).toBeUndefined();
    expect(await deleteTenant(t.db, id)).toBe(false);
  });

  it('migrations are idempotent', async () => {
    expect(await migrateToLatest(t.db)).toEqual([]);
  });
});
