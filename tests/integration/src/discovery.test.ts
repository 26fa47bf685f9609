import { ADMIN_TOKEN, useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'discovery' });

describe('discovery endpoints', () => {
  it('ServiceProviderConfig says what the server does', async () => {
    const response = await ctx.tenant.scim.get('/ServiceProviderConfig');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      pagination: { cursor: true, index: true, defaultPaginationMethod: 'index', maxPageSize: 1000 },
      securityEvents: {
        asyncRequest: 'none',
        eventUris: expect.arrayContaining([
          'urn:ietf:params:scim:event:prov:create:notice',
          'urn:ietf:params:scim:event:prov:patch:full',
        ]),
      },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: { resourceType: 'ServiceProviderConfig', location: `${ctx.tenant.scimBaseUrl}/ServiceProviderConfig` },
    });
  });

  it('lists the resource types and answers each one', async () => {
    const list = await ctx.tenant.scim.get('/ResourceTypes');
    expect(list.body).toMatchObject({ totalResults: 2 });
    expect(list.body.Resources).toEqual([
      expect.objectContaining({
        id: 'User',
        endpoint: '/Users',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
        schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }],
      }),
      expect.objectContaining({
        id: 'Group',
        endpoint: '/Groups',
        schema: 'urn:ietf:params:scim:schemas:core:2.0:Group',
      }),
    ]);
    expect((await ctx.tenant.scim.get('/ResourceTypes/Group')).body).toMatchObject({ id: 'Group' });
    expect((await ctx.tenant.scim.get('/ResourceTypes/Printer')).status).toBe(404);
  });

  it('publishes the schemas the validator enforces, with the tenant profile marked required', async () => {
    const schemas = await ctx.tenant.scim.get('/Schemas');
    expect((schemas.body.Resources ?? []).map((s) => s.id)).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
    const user = await ctx.tenant.scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    const attribute = (name: string) =>
      (user.body.attributes as Record<string, unknown>[]).find((a) => a.name === name);
    expect(attribute('userName')).toMatchObject({
      type: 'string',
      required: true,
      caseExact: false,
      uniqueness: 'server',
      mutability: 'readWrite',
    });
    expect(attribute('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(attribute('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    expect(attribute('title')).toMatchObject({ required: false });
    expect((await ctx.tenant.scim.get('/Schemas/urn:example:nothing')).status).toBe(404);

    await fetch(`${ctx.stack.url}/admin/tenants/${ctx.tenant.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requiredAttributes: { User: ['title'] } }),
    });
    const profiled = await ctx.tenant.scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect((profiled.body.attributes as Record<string, unknown>[]).find((a) => a.name === 'title')).toMatchObject({
      required: true,
    });
  });

  it('requires the tenant token like every SCIM endpoint', async () => {
    expect((await ctx.tenant.scim.withToken('wrong').get('/ServiceProviderConfig')).status).toBe(401);
  });
});
