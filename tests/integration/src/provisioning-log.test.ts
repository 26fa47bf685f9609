import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { QueueName } from '@scimflow/jobs';
import { admin } from '../../support/admin-client';
import { startScript, waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';
import { testEnvironment } from '../../support/test-database';

const ctx = useStack({ tenant: 'logged' });
type Item = Record<string, unknown>;

async function logs(
  query = '',
  tenantId = ctx.tenant.id,
): Promise<{ status: number; items: Item[]; nextCursor: string | null; body: Item }> {
  const response = await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/logs${query}`);
  return {
    status: response.status,
    items: response.body.items ?? [],
    nextCursor: (response.body.nextCursor as string | null) ?? null,
    body: response.body,
  };
}

describe('provisioning log', () => {
  let alice: string;
  let group: string;
  const requestIds: (string | null)[] = [];

  beforeAll(async () => {
    const { scim } = ctx.tenant;
    const created = await scim.post('/Users', {
      userName: 'alice@example.com',
      externalId: 'a-1',
      password: 'Sup3r-secret!',
    });
    alice = created.body.id as string;
    requestIds.push(created.headers.get('x-request-id'));
    await scim.post('/Users', { userName: 'alice@example.com' });
    requestIds.push((await scim.post('/Users', { name: { givenName: 'No user name' } })).headers.get('x-request-id'));
    group = (await scim.post('/Groups', { displayName: 'Staff', externalId: 'staff' })).body.id as string;
    await scim.patch(`/Groups/${group}`, [
      { op: 'add', path: 'members', value: [{ value: alice }, { value: '0190a0b0-0000-7000-8000-000000000000' }] },
    ]);
    await scim.patch(`/Users/${alice}`, [{ op: 'replace', path: 'active', value: false }]);
    await scim.delete(`/Users/${alice}`);
  });

  it('records every write and every rejection, newest first, with outcome, status, error, duration and names', async () => {
    const { status, items } = await logs();
    expect(status).toBe(200);
    expect(items.map((item) => [item.operation, item.resourceType, item.httpStatus].join(' '))).toEqual([
      'delete User 204',
      'patch User 200',
      'patch Group 400',
      'create Group 201',
      'create User 400',
      'create User 409',
      'create User 201',
    ]);
    expect(items[6]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      operation: 'create',
      resourceType: 'User',
      resourceId: alice,
      resourceName: 'alice@example.com',
      externalId: 'a-1',
      outcome: 'success',
      httpStatus: 201,
      scimType: null,
      detail: null,
      durationMs: expect.any(Number),
      requestId: requestIds[0],
      traceId: null,
      commandId: expect.any(String),
    });
    // Every line names its request (X-Request-Id), whoever wrote it: the worker or the ingress.
    expect(requestIds[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(items.every((item) => typeof item.requestId === 'string' && /^[0-9a-f]{32}$/.test(item.requestId))).toBe(
      true,
    );
    expect(new Set(items.map((item) => item.requestId)).size).toBe(items.length);
    expect(items[5]).toMatchObject({
      outcome: 'failure',
      scimType: 'uniqueness',
      detail: "userName 'alice@example.com' is already in use in this tenant",
      resourceName: 'alice@example.com',
    });
    // Refused by the ingress before it reached the queue: logged all the same.
    expect(items[4]).toMatchObject({
      outcome: 'failure',
      scimType: 'invalidValue',
      resourceId: null,
      commandId: null,
      requestId: requestIds[1],
    });
    expect(items[2]).toMatchObject({
      resourceId: group,
      resourceName: 'Staff',
      externalId: 'staff',
      detail: expect.stringContaining('No such member'),
    });
    expect(items[0]).toMatchObject({ resourceId: alice, resourceName: 'alice@example.com', outcome: 'success' });
    expect(JSON.stringify(items)).not.toContain('Sup3r-secret!');
  });

  it('filters by outcome, resource type, resource id and time', async () => {
    expect((await logs('?status=failure')).items.map((item) => item.httpStatus)).toEqual([400, 400, 409]);
    expect((await logs('?status=success&resourceType=Group')).items.map((item) => item.operation)).toEqual(['create']);
    expect((await logs(`?resourceId=${group}`)).items.map((item) => item.httpStatus)).toEqual([400, 201]);
    const all = (await logs()).items;
    const middle = String(all[3]?.at);
    const since = (await logs(`?since=${encodeURIComponent(middle)}`)).items;
    expect(since.every((item) => String(item.at) >= middle)).toBe(true);
    expect(since.length).toBeGreaterThanOrEqual(4);
    const until = (await logs(`?until=${encodeURIComponent(middle)}`)).items;
    expect(until.every((item) => String(item.at) < middle)).toBe(true);
    expect(since.length + until.length).toBe(all.length);
  });

  it('pages with a cursor, without gaps or repeats', async () => {
    const all = (await logs()).items.map((item) => item.id);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof logs>> = await logs(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('refuses bad queries with a 400 and keeps tenants apart', async () => {
    for (const query of [
      '?status=maybe',
      '?since=yesterday',
      '?limit=0',
      '?cursor=%%%',
      '?cursor=AAAA',
      '?resourceType=Robot',
      '?colour=red',
    ]) {
      const { status, body } = await logs(query);
      expect([query, status]).toEqual([query, 400]);
      expect(body).toMatchObject({ scimType: 'invalidValue' });
    }
    const other = await ctx.stack.createTenant('unlogged');
    expect((await logs('', other.id)).items).toEqual([]);
    expect((await logs('', '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('is tailed by the admin CLI', async () => {
    const env = { DATABASE_URL: ctx.stack.database.url, PUBLIC_URL: ctx.stack.url };
    const once = startScript('admin', env, { args: ['logs', 'tail', ctx.tenant.id, '-n', '3', '--status', 'failure'] });
    expect(await once.exited).toBe(0);
    const lines = once.output().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\S+Z failure 409 create User alice@example\.com \(uniqueness: userName 'alice@example\.com' is already in use in this tenant\) \d+ms request=[0-9a-f]{32}$/,
    );

    const follow = startScript('admin', env, { args: ['logs', 'tail', ctx.tenant.id, '-n', '0', '--follow'] });
    try {
      await waitFor(() => follow.output().includes('-- following'), 10_000, 'the CLI to follow');
      await ctx.tenant.scim.post('/Users', { userName: 'followed@example.com' });
      await waitFor(() => follow.output().includes('create User followed@example.com'), 10_000, 'the followed line');
      expect(
        follow
          .output()
          .trim()
          .split('\n')
          .filter((line) => !line.startsWith('--')),
      ).toHaveLength(1);
    } finally {
      follow.child.kill('SIGINT');
      await follow.exited;
    }
  });

  it('forgets entries past the tenant retention, by the scheduled maintenance job', async () => {
    const { db } = ctx.stack.database;
    expect((await admin(ctx.stack.url, 'PATCH', `/tenants/${ctx.tenant.id}`, { logRetentionDays: 7 })).status).toBe(
      200,
    );
    const before = (await logs('?limit=1000')).items.length;
    await sql`update provisioning_log set at = now() - interval '8 days' where resource_id = ${group}`.execute(db);
    const maintenance = new Queue(QueueName.maintenance, {
      connection: { url: testEnvironment().redisUrl },
      prefix: `{${ctx.stack.queuePrefix}}`,
    });
    try {
      expect((await maintenance.getJobSchedulers()).map((scheduler) => scheduler.key)).toEqual(
        expect.arrayContaining(['prune-logs']),
      );
      await maintenance.add('maintenance.prune-logs', {});
      await waitFor(async () => (await logs('?limit=1000')).items.length === before - 2, 10_000, 'the pruned log');
    } finally {
      await maintenance.close();
    }
    expect((await logs(`?resourceId=${group}`)).items).toEqual([]);
  });
});
