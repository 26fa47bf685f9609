import { useStack } from '../../support/stack';

// Issue 11: an access-log line says which tenant, which request and which client it was.
const ctx = useStack({ tenant: 'logged', captureLevel: 'info' });
const ENTRA = 'Microsoft.Identity.Provisioning';

describe('the access log', () => {
  it('carries the tenant, the request id and the user agent, never the token', async () => {
    const missing = await ctx.tenant.scim.get('/Users/0190a0b0-0000-7000-8000-000000000404', { 'user-agent': ENTRA });
    expect(missing.status).toBe(404);
    const refused = await ctx.tenant.scim.withToken('not-the-token-0123456789').get('/Users', { 'user-agent': ENTRA });
    expect(refused.status).toBe(401);
    const lines = ctx.stack.logLines.filter((line) => line.msg === 'request');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        method: 'GET',
        path: `/scim/v2/${ctx.tenant.id}/Users/0190a0b0-0000-7000-8000-000000000404`,
        status: 404,
        tenantId: ctx.tenant.id,
        requestId: missing.headers.get('x-request-id'),
        userAgent: ENTRA,
      }),
      // Not authenticated: no tenant is claimed for it.
      expect.not.objectContaining({ tenantId: expect.anything() }),
    ]);
    expect(lines[1]).toMatchObject({ status: 401, requestId: refused.headers.get('x-request-id'), userAgent: ENTRA });
    expect(JSON.stringify(ctx.stack.logLines)).not.toContain(ctx.tenant.token);
  });
});
