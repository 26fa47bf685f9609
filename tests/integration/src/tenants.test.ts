import { ADMIN_TOKEN, Stack, type Tenant } from '../../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start();
});
afterAll(() => stack.stop());

function admin(path: string, init: RequestInit = {}, token = ADMIN_TOKEN) {
  return fetch(`${stack.url}/admin${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...Object.fromEntries(new Headers(init.headers)),
    },
  });
}

describe('admin API', () => {
  it('creates a tenant with a Tenant URL and a token shown once', async () => {
    const response = await admin('/tenants', { method: 'POST', body: JSON.stringify({ name: 'Acme Corp' }) });
    expect(response.status).toBe(201);
    const tenant = (await response.json()) as { id: string; name: string; scimBaseUrl: string; token: string };
    expect(response.headers.get('location')).toBe(`/admin/tenants/${tenant.id}`);
    expect(tenant).toMatchObject({ name: 'Acme Corp', scimBaseUrl: `${stack.url}/scim/v2/${tenant.id}` });
    expect(tenant.token).toMatch(/^scimflow_[A-Za-z0-9_-]{43}$/);

    const shown = await admin(`/tenants/${tenant.id}`);
    expect(shown.status).toBe(200);
    const settings = (await shown.json()) as Record<string, unknown>;
    expect(settings).toMatchObject({ id: tenant.id, name: 'Acme Corp', scimBaseUrl: tenant.scimBaseUrl });
    expect(JSON.stringify(settings)).not.toContain(tenant.token);

    const stored = await stack.database.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(tenant.token.slice(9));
    expect(stored.token_hash).toHaveLength(32);
  });

  it('rejects bad admin requests', async () => {
    expect(
      (await admin('/tenants', { method: 'POST', body: JSON.stringify({ name: 'x' }) }, 'wrong-admin-token')).status,
    ).toBe(401);
    expect((await fetch(`${stack.url}/admin/tenants/x`)).status).toBe(401);
    expect((await admin('/tenants', { method: 'POST', body: JSON.stringify({ name: '' }) })).status).toBe(400);
    expect((await admin('/tenants', { method: 'POST', body: JSON.stringify({ name: 'x', extra: true }) })).status).toBe(
      400,
    );
    expect((await admin('/tenants', { method: 'POST', body: '{' })).status).toBe(400);
    expect((await admin('/tenants', { method: 'POST', body: '{"name": "a\\u0000b"}' })).status).toBe(400);
    expect((await admin('/tenants/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin('/tenants/not-a-uuid/token', { method: 'POST' })).status).toBe(404);
  });

  it('rotating the token stops the old one at once and the new one works', async () => {
    const tenant = await stack.createTenant('rotating');
    // Warm the ingress token cache with the old token first.
    expect((await tenant.scim.get('/Users')).status).toBe(200);
    const rotated = await admin(`/tenants/${tenant.id}/token`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const { token } = (await rotated.json()) as { token: string };
    expect(token).not.toBe(tenant.token);
    expect((await tenant.scim.get('/Users')).status).toBe(401);
    expect((await tenant.scim.withToken(token).get('/Users')).status).toBe(200);
  });

  it('rotation by another process (the CLI, another ingress) reaches this ingress through Postgres', async () => {
    const tenant = await stack.createTenant('rotated-elsewhere');
    expect((await tenant.scim.get('/Users')).status).toBe(200);
    // What `npm run admin -- tenants rotate-token` does, without going through this ingress.
    const { rotateTenantToken } = await import('../../../services/ingress/src/admin/tenant-admin');
    const rotated = await rotateTenantToken(stack.database.db, tenant.id, {});
    expect(rotated).toBeDefined();
    const deadline = Date.now() + 2_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await tenant.scim.get('/Users')).status;
    expect(status).toBe(401);
    expect((await tenant.scim.withToken(rotated?.token ?? '').get('/Users')).status).toBe(200);
  });
});

describe('tenant isolation', () => {
  let a: Tenant;
  let b: Tenant;
  let aliceId: string;

  beforeAll(async () => {
    a = await stack.createTenant('tenant-a');
    b = await stack.createTenant('tenant-b');
    aliceId = (await a.scim.post('/Users', { userName: 'alice@shared.example', externalId: 'alice' })).body
      .id as string;
  });

  it("one tenant's token opens no other tenant", async () => {
    const crossed = await fetch(`${a.scimBaseUrl}/Users`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(crossed.status).toBe(401);
  });

  it("a tenant cannot see, change or delete another tenant's users", async () => {
    expect((await b.scim.get(`/Users/${aliceId}`)).status).toBe(404);
    expect(
      (await b.scim.get(`/Users?filter=${encodeURIComponent('userName eq "alice@shared.example"')}`)).body.totalResults,
    ).toBe(0);
    expect((await b.scim.get(`/Users?filter=${encodeURIComponent(`id eq "${aliceId}"`)}`)).body.totalResults).toBe(0);
    expect((await b.scim.get('/Users')).body.totalResults).toBe(0);
    expect((await b.scim.patch(`/Users/${aliceId}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(
      404,
    );
    expect((await b.scim.put(`/Users/${aliceId}`, { userName: 'hijacked@example.com' })).status).toBe(404);
    expect((await b.scim.delete(`/Users/${aliceId}`)).status).toBe(404);
    expect((await a.scim.get(`/Users/${aliceId}`)).body).toMatchObject({
      userName: 'alice@shared.example',
      meta: { version: 'W/"1"' },
    });
  });

  it('the same userName may exist once in each tenant', async () => {
    expect((await b.scim.post('/Users', { userName: 'ALICE@shared.example' })).status).toBe(201);
    expect((await a.scim.post('/Users', { userName: 'Alice@Shared.example' })).status).toBe(409);
  });
});
