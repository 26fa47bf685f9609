import { admin } from '../../support/admin-client';
import { startScript, waitFor } from '../../support/processes';
import { ScimClient } from '../../support/scim-client';
import { useStack, type Tenant } from '../../support/stack';

// Issue 11: the operators' inventory — list and search tenants, a summary per tenant, disable
// and delete, read-only browsing, token rotation with a grace period and "last used" — in the
// API and the CLI.
const ctx = useStack({ tenant: 'inventory-home' });
type Item = Record<string, unknown>;

async function tenantNamed(name: string): Promise<Tenant> {
  return ctx.stack.createTenant(name);
}

describe('the tenant inventory', () => {
  it('lists tenants by creation, searches names and pages with a cursor', async () => {
    const alpha = await tenantNamed('Zq Inventory Alpha');
    const beta = await tenantNamed('zq inventory 100%_beta');
    await tenantNamed('unrelated');
    expect((await alpha.scim.post('/Users', { userName: 'a@zq.example' })).status).toBe(201);
    expect((await alpha.scim.post('/Groups', { displayName: 'Zq Staff' })).status).toBe(201);

    const first = await admin(ctx.stack.url, 'GET', '/tenants?q=ZQ%20INVENTORY&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      expect.objectContaining({ id: alpha.id, name: 'Zq Inventory Alpha', users: 1, groups: 1, disabled: false }),
    ]);
    const second = await admin(
      ctx.stack.url,
      'GET',
      `/tenants?q=zq%20inventory&limit=1&cursor=${String(first.body.nextCursor)}`,
    );
    expect(second.body.items).toEqual([expect.objectContaining({ id: beta.id, users: 0, groups: 0 })]);
    expect(second.body.nextCursor).toBeNull();
    // `%` and `_` in a search are letters, not wildcards.
    expect((await admin(ctx.stack.url, 'GET', '/tenants?q=100%25_')).body.items?.map((i: Item) => i.id)).toEqual([
      beta.id,
    ]);

    expect((await admin(ctx.stack.url, 'GET', '/tenants?cursor=not-a-cursor')).body).toMatchObject({
      status: '400',
      scimType: 'invalidCursor',
    });
    expect((await admin(ctx.stack.url, 'GET', '/tenants?limit=0')).status).toBe(400);
    expect((await admin(ctx.stack.url, 'GET', '/tenants?unknown=1')).status).toBe(400);
  });

  it('summarises a tenant: size, the last day of its log, when its token was used, webhook lag', async () => {
    const tenant = await tenantNamed('summarised');
    const hook = await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/webhooks`, { url: 'http://127.0.0.1:9/' });
    expect(hook.status).toBe(201);
    expect((await tenant.scim.post('/Users', { userName: 'one@example.com' })).status).toBe(201);
    expect((await tenant.scim.post('/Users', { userName: 'one@example.com' })).status).toBe(409);
    await waitFor(
      async () =>
        ((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/summary`)).body.last24h as Item | undefined)
          ?.writes === 2,
      5_000,
      'both writes in the log',
    );
    const summary = (await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/summary`)).body;
    expect(summary).toMatchObject({
      tokenLastUsedAt: expect.any(String),
      disabled: false,
      users: 1,
      groups: 0,
      lastRequestAt: expect.any(String),
      last24h: { writes: 2, failures: 1, throttled: 0 },
      webhooks: [
        expect.objectContaining({
          id: hook.body.id,
          headSequence: 1,
          lag: expect.any(Number),
        }),
      ],
    });
    const shown = (await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}`)).body;
    expect(shown.tokenLastUsedAt).toEqual(expect.any(String));
    expect((await admin(ctx.stack.url, 'GET', '/tenants/0190a0b0-0000-7000-8000-000000000000/summary')).status).toBe(
      404,
    );
  });

  it('browses a tenant’s users and groups read-only, with SCIM filters', async () => {
    const tenant = await tenantNamed('browsed');
    await tenant.scim.post('/Users', { userName: 'ada@browsed.example' });
    await tenant.scim.post('/Users', { userName: 'grace@browsed.example' });
    const found = await admin(
      ctx.stack.url,
      'GET',
      `/tenants/${tenant.id}/users?filter=${encodeURIComponent('userName sw "ada"')}`,
    );
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ userName: 'ada@browsed.example' }] });
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/groups`)).body.totalResults).toBe(0);
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/users?filter=nonsense`)).status).toBe(400);
  });

  it('disables a tenant (SCIM 403, logged, data kept) and enables it again', async () => {
    const tenant = await tenantNamed('paused');
    expect((await tenant.scim.post('/Users', { userName: 'kept@example.com' })).status).toBe(201);
    expect((await admin(ctx.stack.url, 'PATCH', `/tenants/${tenant.id}`, { disabled: true })).body).toMatchObject({
      disabled: true,
      disabledAt: expect.any(String),
    });
    const refused = await tenant.scim.get('/Users');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403' });
    await waitFor(
      async () =>
        ((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/logs`)).body.items ?? []).some(
          (line: Item) => line.httpStatus === 403,
        ),
      5_000,
      'the 403 in the log',
    );
    // A wrong token is still a 401: being disabled says nothing to someone without the token.
    expect((await tenant.scim.withToken('wrong-token-0123456789').get('/Users')).status).toBe(401);
    await admin(ctx.stack.url, 'PATCH', `/tenants/${tenant.id}`, { disabled: false });
    expect((await tenant.scim.get('/Users')).body.totalResults).toBe(1);
  });

  it('keeps a rotated token valid for graceSeconds, and not at all by default', async () => {
    const tenant = await tenantNamed('graceful');
    const graced = await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/token`, { graceSeconds: 600 });
    expect(graced.body).toMatchObject({
      token: expect.stringMatching(/^scimflow_/),
      previousTokenExpiresAt: expect.any(String),
    });
    expect((await tenant.scim.get('/Users')).status).toBe(200);
    const fresh = tenant.scim.withToken(String(graced.body.token));
    expect((await fresh.get('/Users')).status).toBe(200);
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}`)).body.previousTokenExpiresAt).toEqual(
      graced.body.previousTokenExpiresAt,
    );
    const abrupt = await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/token`, {});
    expect(abrupt.body.previousTokenExpiresAt).toBeNull();
    expect((await tenant.scim.get('/Users')).status).toBe(401);
    expect((await fresh.get('/Users')).status).toBe(401);
    expect((await tenant.scim.withToken(String(abrupt.body.token)).get('/Users')).status).toBe(200);
    expect((await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/token`, { graceSeconds: -1 })).status).toBe(400);
  });

  it('deletes a tenant with all its data', async () => {
    const tenant = await tenantNamed('deleted');
    const user = await tenant.scim.post('/Users', { userName: 'gone@example.com' });
    await tenant.scim.post('/Groups', { displayName: 'Gone', members: [{ value: user.body.id }] });
    expect((await admin(ctx.stack.url, 'DELETE', `/tenants/${tenant.id}`)).status).toBe(204);
    expect((await tenant.scim.get('/Users')).status).toBe(401);
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}`)).status).toBe(404);
    expect((await admin(ctx.stack.url, 'DELETE', `/tenants/${tenant.id}`)).status).toBe(404);
    const { rows } = await ctx.stack.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .execute()
      .then((found) => ({ rows: found }));
    expect(rows[0]?.n).toBe('0');
  });

  it('does the same from the CLI', async () => {
    const tenant = await tenantNamed('Zq Cli Tenant');
    await tenant.scim.post('/Users', { userName: 'cli-ada@example.com' });
    await tenant.scim.post('/Users', { userName: 'cli-grace@example.com' });
    const hook = await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/webhooks`, { url: 'http://127.0.0.1:9/' });
    const env = { DATABASE_URL: ctx.stack.database.url, PUBLIC_URL: ctx.stack.url, WEBHOOK_ALLOW_PRIVATE: 'true' };
    const run = async (...args: string[]) => {
      const cli = startScript('admin', env, { args });
      expect(await cli.exited).toBe(0);
      return JSON.parse(cli.output()) as Item;
    };
    expect(await run('tenants', 'list', '--search', 'zq cli')).toMatchObject({
      items: [expect.objectContaining({ id: tenant.id })],
      nextCursor: null,
    });
    expect(await run('users', 'list', tenant.id, '--filter', 'userName sw "cli-a"')).toMatchObject({
      totalResults: 1,
      Resources: [expect.objectContaining({ userName: 'cli-ada@example.com' })],
    });
    expect(await run('groups', 'list', tenant.id)).toMatchObject({ totalResults: 0, Resources: [] });
    expect(await run('webhooks', 'test', tenant.id, String(hook.body.id))).toMatchObject({
      delivered: false,
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(await run('webhooks', 'replay', tenant.id, String(hook.body.id))).toEqual({ replayed: 0, remaining: 0 });
    expect(await run('tenants', 'disable', tenant.id)).toMatchObject({ disabled: true });
    await waitFor(
      async () => (await tenant.scim.get('/Users')).status === 403,
      5_000,
      'the CLI disable to reach the ingress',
    );
    expect(await run('tenants', 'summary', tenant.id)).toMatchObject({ users: 2, groups: 0 });
    const rotated = await run('tenants', 'rotate-token', tenant.id, '--grace-seconds', '60');
    expect(rotated.previousTokenExpiresAt).toEqual(expect.any(String));
    expect(await run('tenants', 'delete', tenant.id)).toEqual({ deleted: tenant.id });
    expect((await new ScimClient(tenant.scimBaseUrl, String(rotated.token)).get('/Users')).status).toBe(401);
  });
});
