import { once } from 'node:events';
import { Cluster, Redis } from 'ioredis';
import { admin } from '../../support/admin-client';
import { ProcessStack } from '../../support/process-stack';
import { waitFor } from '../../support/processes';
import { ScimClient } from '../../support/scim-client';
import { Stack } from '../../support/stack';
import { testEnvironment, testRedis } from '../../support/test-database';

// Issue 9, part E: N ingress × M worker processes on one Redis and one Postgres.

type Tenant = Awaited<ReturnType<ProcessStack['createTenant']>>;

describe('two ingress and two worker processes', () => {
  let stack: ProcessStack;
  let tenant: Tenant;
  let secondUrl: string;
  let clients: ScimClient[];
  beforeAll(async () => {
    stack = await ProcessStack.create();
    await stack.startIngress();
    const workers = [stack.startWorker(), stack.addWorker()];
    secondUrl = await stack.addIngress();
    await waitFor(() => workers.every((w) => w.output().includes('worker started')), 30_000, 'both workers');
    tenant = await stack.createTenant('scaled');
    clients = [tenant.scim, new ScimClient(tenant.scimBaseUrl.replace(stack.url, secondUrl), tenant.token)];
  }, 60_000);
  afterAll(() => stack.stop());
  const through = (n: number) => clients[n % 2] ?? tenant.scim;

  it('answers every write spread over both ingresses with what committed', async () => {
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, n) => through(n).post('/Users', { userName: `spread-${n % 50}@example.com` })),
    );
    // 50 distinct names, 10 of them sent twice: one 201 and one 409 each, never two 201s.
    expect(created.filter((r) => r.status === 201)).toHaveLength(50);
    expect(created.filter((r) => r.status === 409 && r.body.scimType === 'uniqueness')).toHaveLength(10);
    for (const response of created.filter((r) => r.status === 201)) {
      const read = await through(1).get(`/Users/${String(response.body.id)}`);
      expect(read.body).toMatchObject({ userName: response.body.userName, meta: { version: 'W/"1"' } });
    }
  });

  it('loses no member when both ingresses add to one group at once', async () => {
    const group = (await through(0).post('/Groups', { displayName: 'Everyone, twice' })).body.id as string;
    const users = await Promise.all(
      Array.from(
        { length: 30 },
        async (_, n) => (await through(n).post('/Users', { userName: `m-${n}@example.com` })).body.id as string,
      ),
    );
    const adds = await Promise.all(
      users.map((value, n) =>
        through(n).patch(`/Groups/${group}`, [{ op: 'add', path: 'members', value: [{ value }] }]),
      ),
    );
    expect(adds.map((r) => r.status)).toEqual(users.map(() => 204));
    const stored = await through(1).get(`/Groups/${group}`);
    expect((stored.body.members as { value: string }[]).map((m) => m.value).toSorted()).toEqual(users.toSorted());
    expect(stored.headers.get('etag')).toBe(`W/"${1 + users.length}"`);
  });

  it('enforces one budget across both ingresses', async () => {
    const limited = await stack.createTenant('limited');
    const budget = await admin(stack.url, 'PATCH', `/tenants/${limited.id}`, {
      budget: { writesPerSecond: 0.5, writeBurst: 6 },
    });
    expect(budget.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = new ScimClient(
      limited.scimBaseUrl.replace(stack.url, clients[1]?.baseUrl.split('/scim')[0] ?? ''),
      limited.token,
    );
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        (n % 2 === 0 ? limited.scim : second).post('/Users', { userName: `budget-${n}@example.com` }),
      ),
    );
    // Six in the bucket, shared: not six per ingress.
    expect(responses.filter((r) => r.status === 201)).toHaveLength(6);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(14);
  });
});

describe('the Redis the services use', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start();
  });
  afterAll(() => stack.stop());

  it('holds their queues: a Redis Cluster when REDIS_CLUSTER_NODES is set (npm run test:cluster), else REDIS_URL', async () => {
    const tenant = await stack.createTenant('where');
    expect((await tenant.scim.post('/Users', { userName: 'where@example.com' })).status).toBe(201);
    const prefix = `{${stack.queuePrefix}}`;
    const used = testRedis();
    const single = new Redis(testEnvironment().redisUrl);
    try {
      // A cluster client knows its masters once it is ready.
      if (used.status !== 'ready') await once(used, 'ready');
      const nodes = used instanceof Cluster ? used.nodes('master') : [used];
      const counts = await Promise.all(nodes.map(async (node) => (await node.keys(`${prefix}*`)).length));
      expect(counts.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
      const onSingle = (await single.keys(`${prefix}*`)).length;
      expect(onSingle > 0).toBe(!(used instanceof Cluster));
    } finally {
      used.disconnect();
      single.disconnect();
    }
  });
});
