import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { ScimClient } from '../../support/scim-client';
import { useStack } from '../../support/stack';

// Issue 10: refused credentials are in the tenant's log (never the token), and a flood of them
// from one address is answered 429 without slowing the good tokens from that same address.
const ctx = useStack({ tenant: 'guarded', env: { AUTH_FAILURES_PER_MINUTE: '5' } });
type Item = Record<string, unknown>;

async function logs(tenantId: string): Promise<Item[]> {
  return (await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/logs`)).body.items ?? [];
}

describe('bad credentials', () => {
  it("go to the tenant's log with the request id, and the token never does", async () => {
    const tenant = await ctx.stack.createTenant('logged-401');
    const wrong = new ScimClient(tenant.scim.baseUrl, 'not-the-token-0123456789');
    const missing = new ScimClient(tenant.scim.baseUrl, '');
    const patched = await wrong.patch('/Users/0190a0b0-0000-7000-8000-000000000000', [
      { op: 'replace', path: 'active', value: false },
    ]);
    expect(patched.status).toBe(401);
    expect(patched.headers.get('www-authenticate')).toBe('Bearer realm="scimflow"');
    expect(patched.body).toMatchObject({ status: '401', detail: 'Missing, invalid or revoked bearer token' });
    const read = await missing.get('/Groups');
    expect(read.status).toBe(401);
    // An unknown tenant has no log to write to (and says nothing about which tenants exist).
    const nobody = new ScimClient(tenant.scim.baseUrl.replace(tenant.id, '0190a0b0-0000-7000-8000-00000000beef'), 'x');
    expect((await nobody.get('/Users')).status).toBe(401);

    await waitFor(async () => (await logs(tenant.id)).length === 2, 5_000, 'two log lines');
    const items = await logs(tenant.id);
    expect(items).toEqual([
      expect.objectContaining({
        operation: 'read',
        resourceType: 'Group',
        outcome: 'failure',
        httpStatus: 401,
        detail: 'No bearer token was sent',
        requestId: read.headers.get('x-request-id'),
      }),
      expect.objectContaining({
        operation: 'patch',
        resourceType: 'User',
        resourceId: null,
        httpStatus: 401,
        detail: "The bearer token is not this tenant's current token (rotated, revoked or mistyped)",
        requestId: patched.headers.get('x-request-id'),
      }),
    ]);
    expect(JSON.stringify(items)).not.toContain('not-the-token');
  });

  it('are answered 429 past the allowance per address, while a good token from there works at once', async () => {
    const { scim, id } = ctx.tenant;
    const wrong = new ScimClient(scim.baseUrl, 'still-not-the-token-0123456789');
    const statuses: number[] = [];
    // The first test spent 3 of this address's 5 a minute (one key per address, shared by every ingress).
    for (let n = 0; n < 6; n++) statuses.push((await wrong.get('/Users')).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
    const throttled = await wrong.get('/Users');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(throttled.body).toMatchObject({ status: '429', detail: expect.stringContaining('bad credentials') });

    const started = performance.now();
    const good = await scim.get('/Users');
    expect(good.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await scim.post('/Users', { userName: 'still-works@example.com' })).status).toBe(201);

    // Two 401 lines, then one counted line for the 429s (not a line each).
    await waitFor(async () => (await logs(id)).some((item) => item.httpStatus === 429), 5_000, 'the counted 429 line');
    const refused = (await logs(id)).filter((item) => item.outcome === 'failure');
    expect(refused.filter((item) => item.httpStatus === 401)).toHaveLength(2);
    const counted = refused.filter((item) => item.httpStatus === 429);
    expect(counted.length).toBeLessThanOrEqual(2);
    expect(counted[0]).toMatchObject({
      operation: 'read',
      resourceType: 'User',
      detail: expect.stringMatching(/^\d requests? with a bad bearer token answered 429 in 1 s/),
    });
  });
});
