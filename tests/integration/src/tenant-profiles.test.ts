import { ADMIN_TOKEN, useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'profiles' });

function configure(body: unknown, tenantId = ctx.tenant.id) {
  return fetch(`${ctx.stack.url}/admin/tenants/${tenantId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('tenant profiles', () => {
  afterEach(() => configure({ requiredAttributes: null, defaultGroups: null }));

  it('enforces a Tailscale-style profile: userName and externalId on every user', async () => {
    const saved = await configure({ requiredAttributes: { User: ['userName', 'externalId'], Group: ['externalId'] } });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({
      settings: { requiredAttributes: { User: ['userName', 'externalId'], Group: ['externalId'] } },
    });

    const refused = await ctx.tenant.scim.post('/Users', { userName: 'no-external@example.com' });
    expect(refused.body).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
      detail: expect.stringContaining("'externalId'"),
    });
    const accepted = await ctx.tenant.scim.post('/Users', {
      userName: 'with-external@example.com',
      externalId: 'ts-1',
    });
    expect(accepted.status).toBe(201);
    const replaced = await ctx.tenant.scim.put(`/Users/${accepted.body.id as string}`, {
      userName: 'with-external@example.com',
    });
    expect(replaced.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect((await ctx.tenant.scim.post('/Groups', { displayName: 'No external id' })).status).toBe(400);
  });

  it("puts every new user in the default groups (Connecter's workspace)", async () => {
    const workspace = (await ctx.tenant.scim.post('/Groups', { displayName: 'Workspace' })).body.id as string;
    expect((await configure({ defaultGroups: [workspace] })).status).toBe(200);
    const created = await ctx.tenant.scim.post('/Users', { userName: 'joiner@example.com', displayName: 'Joiner' });
    expect(created.body.groups).toEqual([
      { value: workspace, display: 'Workspace', type: 'direct', $ref: `${ctx.tenant.scimBaseUrl}/Groups/${workspace}` },
    ]);
    const group = await ctx.tenant.scim.get(`/Groups/${workspace}`);
    expect(group.body.members).toEqual([
      expect.objectContaining({ value: created.body.id, type: 'User', display: 'Joiner' }),
    ]);
  });

  it('refuses a profile that names nothing real', async () => {
    expect((await configure({ requiredAttributes: { User: ['shoeSize'] } })).status).toBe(400);
    expect((await configure({ requiredAttributes: { User: ['emails[type eq'] } })).status).toBe(400);
    expect((await configure({ defaultGroups: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(400);
    expect((await configure({ defaultGroups: 'not-a-list' })).status).toBe(400);
    expect((await configure({ somethingElse: true })).status).toBe(400);
    expect((await configure({ requiredAttributes: null }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
