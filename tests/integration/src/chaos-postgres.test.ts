import { waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';

// Issue 10: with Postgres down, every request is 503 with Retry-After (never 500), nothing
// acknowledged is lost, and the services recover on their own when it is back.

const ctx = useStack({ postgresProxy: true, env: { REPLY_TIMEOUT_MS: '3000' } });

function proxy() {
  const found = ctx.stack.postgresProxy;
  if (!found) throw new Error('the stack runs without a Postgres proxy');
  return found;
}

describe('Postgres down', () => {
  it('answers reads, writes and authentication with 503 + Retry-After, and recovers without a restart', async () => {
    const before = await ctx.tenant.scim.post('/Users', { userName: 'before-outage@example.com' });
    expect(before.status).toBe(201);
    const fresh = await ctx.stack.createTenant('never-seen');

    await proxy().cut();
    const answers = await Promise.all([
      ctx.tenant.scim.get('/Users'),
      ctx.tenant.scim.get(`/Users/${String(before.body.id)}`),
      ctx.tenant.scim.post('/Users', { userName: 'during-outage@example.com' }),
      ctx.tenant.scim.patch(`/Users/${String(before.body.id)}`, [{ op: 'replace', path: 'title', value: 'x' }]),
      // A tenant whose token was never cached: authentication itself needs Postgres.
      fresh.scim.get('/Users'),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
    }
    const ready = await fetch(`${ctx.stack.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ postgres: 'down', redis: 'up' });

    await proxy().connect();
    await waitFor(async () => (await fetch(`${ctx.stack.url}/readyz`)).status === 200, 15_000, 'readiness');
    const after = await ctx.tenant.scim.post('/Users', { userName: 'after-outage@example.com' });
    expect(after.status).toBe(201);
    expect((await fresh.scim.get('/Users')).status).toBe(200);
    // Nothing acknowledged was lost; nothing refused was applied.
    const list = await ctx.tenant.scim.get(
      `/Users?filter=${encodeURIComponent('userName sw "before" or userName sw "during" or userName sw "after"')}`,
    );
    const names = (list.body.Resources ?? []).map((user) => user.userName);
    expect(names.toSorted((a, b) => String(a).localeCompare(String(b)))).toEqual([
      'after-outage@example.com',
      'before-outage@example.com',
    ]);
  }, 60_000);
});
