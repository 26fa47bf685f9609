import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { useStack, type Tenant } from '../../support/stack';
import { testRedis } from '../../support/test-database';

// Issue 9, part B: every tenant has a fair share, and is told 429 (not queued) past it.

const ctx = useStack();

async function setBudget(tenant: Tenant, budget: Record<string, number> | null): Promise<void> {
  const response = await admin(ctx.stack.url, 'PATCH', `/tenants/${tenant.id}`, { budget });
  expect(response.status).toBe(200);
  // The settings change reaches every ingress by NOTIFY; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe('tenant budgets', () => {
  it('answers writes over the rate with 429, an integer Retry-After and a SCIM error, and logs them', async () => {
    const tenant = await ctx.stack.createTenant('throttled');
    await setBudget(tenant, { writesPerSecond: 1, writeBurst: 3 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, n) => tenant.scim.post('/Users', { userName: `burst-${n}@example.com` })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
    const throttled = responses.find((response) => response.status === 429);
    expect(throttled?.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(throttled?.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '429',
    });
    expect(String(throttled?.body.detail)).toContain('rate');

    // Reads have their own budget: the identity provider's Test Connection still answers.
    const test = await tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq "no-such-user"')}`);
    expect(test.status).toBe(200);
    expect(test.body.totalResults).toBe(0);

    // The 429s are counted in the provisioning log: a line per second and kind, with the count.
    await waitFor(
      async () => {
        const log = await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/logs?status=failure`);
        const lines = (log.body.items ?? []).filter((item) => item.httpStatus === 429);
        const counted = lines.reduce((sum, item) => sum + Number(/^(\d+) /.exec(String(item.detail))?.[1] ?? 0), 0);
        return counted === 7 && lines.every((item) => item.operation === 'create' && item.resourceType === 'User');
      },
      5_000,
      'the 429s counted in the log',
    );
  });

  it("never slows another tenant: its writes pass while the first one's are refused", async () => {
    const greedy = await ctx.stack.createTenant('greedy');
    const modest = await ctx.stack.createTenant('modest');
    await setBudget(greedy, { writesPerSecond: 1, writeBurst: 1 });
    await greedy.scim.post('/Users', { userName: 'first@example.com' });
    expect((await greedy.scim.post('/Users', { userName: 'second@example.com' })).status).toBe(429);
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, n) => modest.scim.post('/Users', { userName: `fine-${n}@example.com` })),
    );
    expect(others.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
  });

  it('holds each refusal for its own pause, so refusals that came together do not come back together', async () => {
    const herd = await ctx.stack.createTenant('herd');
    await setBudget(herd, { writesPerSecond: 1, writeBurst: 1 });
    expect((await herd.scim.post('/Users', { userName: 'herd-first@example.com' })).status).toBe(201);
    const sent = performance.now();
    const answeredAfter = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => {
        const response = await herd.scim.post('/Users', { userName: `herd-${n}@example.com` });
        expect(response.status).toBe(429);
        return performance.now() - sent;
      }),
    );
    // Half a second at least (a client retrying at once can't flood), and not all at one moment.
    expect(Math.min(...answeredAfter)).toBeGreaterThanOrEqual(450);
    expect(Math.max(...answeredAfter) - Math.min(...answeredAfter)).toBeGreaterThan(50);
  });

  it('takes places ahead for a steady writer, never admitting past the budget, and gives unused ones back', async () => {
    const tenant = await ctx.stack.createTenant('steady');
    // A burst of 24 lets the ingress take up to 3 places ahead of each ask; the rate refills one in 10 s.
    await setBudget(tenant, { writesPerSecond: 0.1, writeBurst: 24, writesInFlight: 64 });
    const redis = testRedis();
    const inFlight = `${ctx.stack.queuePrefix}:budget:{${tenant.id}}:in-flight`;
    try {
      const started = performance.now();
      const statuses: number[] = [];
      const heldAhead: number[] = [];
      for (let n = 0; n < 27; n++) {
        // A steady writer: spaced so its writes span several of the ingress's 250 ms pace windows on
        // a fast machine too (a fixed pause after a few writes could land past the next window).
        await new Promise((resolve) => setTimeout(resolve, 20));
        statuses.push((await tenant.scim.post('/Users', { userName: `steady-${n}@example.com` })).status);
        // Places ahead are members "<request id>+<n>" of the shared in-flight set, like any write's.
        heldAhead.push((await redis.zrange(inFlight, '0', '-1')).filter((id) => id.includes('+')).length);
      }
      const refills = Math.floor((performance.now() - started) / 10_000) + 1;
      const created = statuses.filter((status) => status === 201).length;
      expect(statuses.slice(0, 24)).toEqual(Array(24).fill(201));
      expect(created).toBeLessThanOrEqual(24 + refills);
      expect(statuses).toContain(429);
      expect(Math.max(...heldAhead)).toBeGreaterThan(0);
      // Unused places are given back when their hold ends: nothing stays in flight.
      await waitFor(async () => (await redis.zcard(inFlight)) === 0, 3_000, 'the in-flight set to empty');
    } finally {
      redis.disconnect();
    }
  });

  it('limits the writes a tenant has in progress at once', async () => {
    const tenant = await ctx.stack.createTenant('one-at-a-time');
    await setBudget(tenant, { writesInFlight: 1, writesPerSecond: 1000, writeBurst: 1000 });
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, n) => tenant.scim.post('/Users', { userName: `concurrent-${n}@example.com` })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses).toContain(201);
    expect(statuses).toContain(429);
    const refused = responses.find((response) => response.status === 429);
    expect(String(refused?.body.detail)).toContain('in progress');
    // Once they are answered, the places are free again.
    expect((await tenant.scim.post('/Users', { userName: 'afterwards@example.com' })).status).toBe(201);
  });

  it('has a read budget too, and a removed override falls back to the defaults', async () => {
    const tenant = await ctx.stack.createTenant('reader');
    await setBudget(tenant, { readsPerSecond: 1, readBurst: 2 });
    const reads = [];
    for (let n = 0; n < 4; n++) reads.push((await tenant.scim.get('/Users?count=1')).status);
    expect(reads.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    await setBudget(tenant, null);
    expect((await tenant.scim.get('/Users?count=1')).status).toBe(200);
    const shown = await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}`);
    expect((shown.body.settings as Record<string, unknown>).budget).toBeUndefined();
  });

  it('refuses a budget that makes no sense', async () => {
    const tenant = await ctx.stack.createTenant('nonsense');
    const response = await admin(ctx.stack.url, 'PATCH', `/tenants/${tenant.id}`, { budget: { writesPerSecond: -1 } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ scimType: 'invalidValue' });
  });
});
