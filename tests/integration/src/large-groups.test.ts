import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'large', env: { MAX_BODY_BYTES: String(4 * 1024 * 1024), DB_POOL_SIZE: '4' } });
const SIZE = 10_000;

/** Users inserted straight into this suite's database: the subject here is the group, not user creation. */
async function seedUsers(count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  await sql`insert into users (tenant_id, id, data)
    select ${ctx.tenant.id}::uuid, id, jsonb_build_object('userName', ${prefix} || '-' || n || '@example.com', 'displayName', 'Bulk ' || n)
    from unnest(${ids}::uuid[]) with ordinality as u(id, n)`.execute(ctx.stack.database.db);
  return ids;
}

describe('large groups', () => {
  it('adds 10,000 members in one PATCH and streams them all back', async () => {
    const members = await seedUsers(SIZE, 'bulk');
    const group = (await ctx.tenant.scim.post('/Groups', { displayName: 'Everyone' })).body.id as string;
    const added = await ctx.tenant.scim.patch(`/Groups/${group}`, [
      { op: 'Add', path: 'members', value: members.map((value) => ({ value })) },
    ]);
    expect(added.status).toBe(204);
    expect(added.headers.get('etag')).toBe('W/"2"');

    const full = await fetch(`${ctx.tenant.scimBaseUrl}/Groups/${group}`, {
      headers: { authorization: `Bearer ${ctx.tenant.token}` },
    });
    expect(full.headers.get('transfer-encoding')).toBe('chunked');
    const body = (await full.json()) as { members: { value: string; display: string }[]; meta: { version: string } };
    expect(body.members).toHaveLength(SIZE);
    expect(new Set(body.members.map((m) => m.value))).toEqual(new Set(members));
    expect(body.members[0]).toMatchObject({ type: 'User', display: expect.stringMatching(/^Bulk \d+$/) });
    expect(body.meta.version).toBe('W/"2"');

    const excluded = await ctx.tenant.scim.get(`/Groups/${group}?excludedAttributes=members`);
    expect(excluded.body).not.toHaveProperty('members');
    expect(excluded.text.length).toBeLessThan(1_000);

    // Removing half with Entra's value list, as one delta.
    const removed = await ctx.tenant.scim.patch(`/Groups/${group}`, [
      { op: 'Remove', path: 'members', value: members.slice(0, SIZE / 2).map((value) => ({ value })) },
    ]);
    expect(removed.status).toBe(204);
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from group_members where group_id = ${group}`.execute(ctx.stack.database.db);
    expect(Number(rows[0]?.n)).toBe(SIZE / 2);
  });
});

describe('streaming', () => {
  it('releases the database connection of a client that disconnects mid-stream', async () => {
    const members = await seedUsers(SIZE, 'abandon');
    const group = (await ctx.tenant.scim.post('/Groups', { displayName: 'Abandoned' })).body.id as string;
    await ctx.tenant.scim.patch(`/Groups/${group}`, [
      { op: 'Add', path: 'members', value: members.map((value) => ({ value })) },
    ]);
    // Twice as many abandoned streams as the pool has connections.
    for (let n = 0; n < 8; n++) {
      const abort = new AbortController();
      const response = await fetch(`${ctx.tenant.scimBaseUrl}/Groups/${group}`, {
        headers: { authorization: `Bearer ${ctx.tenant.token}` },
        signal: abort.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      abort.abort();
      await reader?.cancel().catch(() => undefined);
    }
    const started = Date.now();
    const after = await ctx.tenant.scim.get(`/Groups/${group}?excludedAttributes=members`);
    expect(after.status).toBe(200);
    // A leaked pool would make this wait out the 5 s connection timeout and fail.
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
