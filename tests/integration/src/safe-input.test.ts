import { admin } from '../../support/admin-client';
import { ScimClient } from '../../support/scim-client';
import { useStack } from '../../support/stack';

// Issue 10: correct and safe under any input.

const ctx = useStack();

describe('one tenant URL', () => {
  it('answers any other spelling of the tenant id with 404, and a rotated token is refused at once', async () => {
    const tenant = await ctx.stack.createTenant('spelled');
    const upper = new ScimClient(tenant.scimBaseUrl.replace(tenant.id, tenant.id.toUpperCase()), tenant.token);
    const read = await upper.get('/Users');
    expect(read.status).toBe(404);
    expect(read.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    expect((await upper.post('/Users', { userName: 'upper@example.com' })).status).toBe(404);
    expect(
      (await tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq "upper@example.com"')}`)).body
        .totalResults,
    ).toBe(0);

    // The canonical URL works, and a rotation stops the old token everywhere at once.
    expect((await tenant.scim.get('/Users')).status).toBe(200);
    const rotated = await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/token`);
    expect(rotated.status).toBe(200);
    expect((await tenant.scim.get('/Users')).status).toBe(401);
    expect((await upper.get('/Users')).status).toBe(404);
    expect((await tenant.scim.withToken(String(rotated.body.token)).get('/Users')).status).toBe(200);
  });

  it('finds a resource whatever the case of its id, as uuids compare', async () => {
    const user = await ctx.tenant.scim.post('/Users', { userName: 'any-case@example.com' });
    const id = String(user.body.id).toUpperCase();
    expect((await ctx.tenant.scim.get(`/Users/${id}`)).status).toBe(200);
    const patched = await ctx.tenant.scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'Upper' }]);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Upper' });
    expect((await ctx.tenant.scim.request('DELETE', `/Users/${id}`)).status).toBe(204);
  });
});

describe('a write is never refused after it was applied', () => {
  it.each(['attributes', 'excludedAttributes'])('refuses %s given twice before applying anything', async (param) => {
    const name = `twice-${param}@example.com`;
    const created = await ctx.tenant.scim.post(`/Users?${param}=userName&${param}=title`, { userName: name });
    expect(created.status).toBe(400);
    const found = await ctx.tenant.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
    expect(found.body.totalResults).toBe(0);

    const user = await ctx.tenant.scim.post('/Users', { userName: `kept-${name}` });
    const patched = await ctx.tenant.scim.patch(`/Users/${String(user.body.id)}?${param}=a&${param}=b`, [
      { op: 'replace', path: 'title', value: 'Never' },
    ]);
    expect(patched.status).toBe(400);
    expect((await ctx.tenant.scim.get(`/Users/${String(user.body.id)}`)).body.title).toBeUndefined();
    const deleted = await ctx.tenant.scim.request('DELETE', `/Users/${String(user.body.id)}?${param}=a&${param}=b`);
    expect(deleted.status).toBe(400);
    expect((await ctx.tenant.scim.get(`/Users/${String(user.body.id)}`)).status).toBe(200);
  });
});

describe('the provisioning log says what the client received', () => {
  it('logs a group PATCH as 204, or 200 when the client asked for the group', async () => {
    const group = await ctx.tenant.scim.post('/Groups', { displayName: 'Logged statuses' });
    const id = String(group.body.id);
    expect(
      (await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'replace', path: 'displayName', value: 'A' }])).status,
    ).toBe(204);
    const asked = await ctx.tenant.scim.patch(`/Groups/${id}?attributes=displayName`, [
      { op: 'replace', path: 'displayName', value: 'B' },
    ]);
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ displayName: 'B' });
    const log = await admin(ctx.stack.url, 'GET', `/tenants/${ctx.tenant.id}/logs?resourceId=${id}`);
    expect((log.body.items ?? []).map((item) => [item.operation, item.httpStatus])).toEqual([
      ['patch', 200],
      ['patch', 204],
      ['create', 201],
    ]);
  });
});
