import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { RecordedEvent } from '@scimflow/jobs';
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/test-database';
import { eventsAfter } from './outbox-repository';
import { insertTenant } from './tenant-repository';
import { recordWriteEffects } from './write-effects-repository';

let t: TestDatabase;
const tenants: string[] = [randomUUID(), randomUUID()];
beforeAll(async () => {
  t = await createTestDatabase();
  for (const id of tenants) await insertTenant(t.db, { id, name: id, tokenHash: Buffer.alloc(32) });
});
afterAll(() => t.drop());

function event(tenant: string): RecordedEvent {
  const id = uuidv7();
  return {
    jti: id,
    iss: 'https://scim.example.com',
    iat: 0,
    txn: id,
    tenant,
    sub_id: { format: 'scim', uri: `/Users/${id}` },
    events: {},
  };
}

const sequencesOf = async (tenant: string) =>
  (
    await sql<{ jti: string; sequence: string }>`
      select payload->>'jti' as jti, sequence from outbox where tenant_id = ${tenant} and kind = 'event' order by sequence`.execute(
      t.db,
    )
  ).rows;

describe('recordWriteEffects', () => {
  it('numbers each tenant 1, 2, 3… in commit order with many writers at once, and a rollback leaves no gap', async () => {
    const committed: string[][] = [[], []];
    // 40 transactions of 1–3 events each, spread over two tenants, racing; every fifth rolls back.
    await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        const batch = Array.from({ length: 1 + (n % 3) }, (_item, k) => event(tenants[(n + k) % 2] ?? ''));
        try {
          await t.db.transaction().execute(async (trx) => {
            await recordWriteEffects(trx, { applied: [], log: [], events: batch, at: new Date() });
            if (n % 5 === 4) throw new Error('rolled back');
          });
          for (const e of batch) committed[tenants.indexOf(e.tenant)]?.push(e.jti);
        } catch (error) {
          if (!(error instanceof Error) || error.message !== 'rolled back') throw error;
        }
      }),
    );
    for (const [index, tenant] of tenants.entries()) {
      const rows = await sequencesOf(tenant);
      expect(rows.map((row) => Number(row.sequence))).toEqual(rows.map((_, i) => i + 1));
      expect(rows.map((row) => row.jti).toSorted()).toEqual((committed[index] ?? []).toSorted());
      // The log a consumer reads is the same, page by page.
      const read = await eventsAfter(t.db, tenant, 0, 1000);
      expect(read.map((e) => e.payload.jti)).toEqual(rows.map((row) => row.jti));
    }
  });

  it('keeps the order the changes were made in within a transaction, and a reader never sees a later number first', async () => {
    const tenant = tenants[0] ?? '';
    const before = (await sequencesOf(tenant)).length;
    const batch = [event(tenant), event(tenant), event(tenant)];
    let seenWhileOpen = -1;
    await t.db.transaction().execute(async (trx) => {
      await recordWriteEffects(trx, { applied: [], log: [], events: batch, at: new Date() });
      seenWhileOpen = (await sequencesOf(tenant)).length;
    });
    expect(seenWhileOpen).toBe(before);
    const rows = (await sequencesOf(tenant)).slice(before);
    expect(rows.map((row) => row.jti)).toEqual(batch.map((e) => e.jti));
    expect(rows.map((row) => Number(row.sequence))).toEqual([before + 1, before + 2, before + 3]);
  });
});
