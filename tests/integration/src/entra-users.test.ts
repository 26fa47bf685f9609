import { randomUUID } from 'node:crypto';
import { useStack } from '../../support/stack';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
// The parallel cycle below sends 200 writes at once: more than the default burst and in-flight
// share (budgets.test.ts covers those), as an operator raises them for an initial sync.
const ctx = useStack({ tenant: 'contoso', env: { TENANT_WRITE_BURST: '1000', TENANT_WRITES_IN_FLIGHT: '1000' } });

const filter = (expression: string) => `/Users?filter=${encodeURIComponent(expression)}`;

/** What Entra's provisioning service sends to create a user (Microsoft's SCIM validator sample). */
function entraCreateBody(userName: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    displayName: 'Alice Smith',
    preferredLanguage: 'en-US',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: 'Alice Smith', familyName: 'Smith', givenName: 'Alice' },
    roles: [],
    nickName: null,
    [ENTERPRISE]: { department: 'Sales', employeeNumber: '1001' },
  };
}

describe('Entra ID user provisioning, step by step', () => {
  it('Test Connection: a filter on a random guid answers an empty ListResponse', async () => {
    const response = await ctx.tenant.scim.get(filter(`userName eq "${randomUUID()}"`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(response.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('create, update, deactivate and delete one user as Entra does', async () => {
    const userName = 'alice@contoso.com';
    // 1. Lookup by the matching attribute, then create.
    expect((await ctx.tenant.scim.get(filter(`userName eq "${userName}"`))).body.totalResults).toBe(0);
    const created = await ctx.tenant.scim.post('/Users', entraCreateBody(userName));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get('location')).toBe(`${ctx.tenant.scimBaseUrl}/Users/${id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName,
      externalId: `ext-${userName}`,
      active: true,
      name: { givenName: 'Alice', familyName: 'Smith', formatted: 'Alice Smith' },
      emails: [{ primary: true, type: 'work', value: userName }],
      [ENTERPRISE]: { department: 'Sales', employeeNumber: '1001' },
      meta: { resourceType: 'User', location: `${ctx.tenant.scimBaseUrl}/Users/${id}`, version: 'W/"1"' },
    });
    expect(created.body).not.toHaveProperty('roles');
    expect(created.body).not.toHaveProperty('nickName');

    // 2. Later cycles look the user up by each matching attribute Entra's gallery apps use.
    for (const expression of [
      `userName eq "ALICE@contoso.com"`,
      `externalId eq "ext-${userName}"`,
      `emails[type eq "work"].value eq "${userName}"`,
      `externalId eq ext-${userName}`,
    ]) {
      const found = await ctx.tenant.scim.get(filter(expression));
      expect({ expression, total: found.body.totalResults, id: found.body.Resources?.[0]?.id }).toEqual({
        expression,
        total: 1,
        id,
      });
    }

    // 3. Attribute updates in Entra's PATCH dialect.
    const updated = await ctx.tenant.scim.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'displayName', value: 'Alice Jones' },
      { op: 'Replace', path: 'name.familyName', value: 'Jones' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'alice.jones@contoso.com' },
      { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Marketing' },
      { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'b5c4b84c-9a43-4d32-8f6a-9a4c1f0b1e2d' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
    ]);
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('W/"2"');
    expect(updated.body).toMatchObject({
      displayName: 'Alice Jones',
      name: { givenName: 'Alice', familyName: 'Jones' },
      emails: [{ primary: true, type: 'work', value: 'alice.jones@contoso.com' }],
      phoneNumbers: [{ type: 'mobile', value: '+1 555 0100' }],
      [ENTERPRISE]: {
        department: 'Marketing',
        employeeNumber: '1001',
        manager: { value: 'b5c4b84c-9a43-4d32-8f6a-9a4c1f0b1e2d' },
      },
    });

    // 4. Newer tenants: a replace with no path and dotted keys.
    const dotted = await ctx.tenant.scim.patch(`/Users/${id}`, [
      { op: 'replace', value: { displayName: 'A. Jones', 'name.givenName': 'A.', active: true } },
    ]);
    expect(dotted.body).toMatchObject({
      displayName: 'A. Jones',
      name: { givenName: 'A.', familyName: 'Jones' },
      active: true,
    });

    // 5. Deprovision: soft delete with a string boolean.
    const disabled = await ctx.tenant.scim.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    expect((await ctx.tenant.scim.get(`/Users/${id}`)).body.active).toBe(false);

    // 6. Hard delete, up to 30 days later.
    expect((await ctx.tenant.scim.delete(`/Users/${id}`)).status).toBe(204);
    const gone = await ctx.tenant.scim.get(`/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    expect((await ctx.tenant.scim.delete(`/Users/${id}`)).status).toBe(404);
  });

  it('answers 409 uniqueness for a userName that differs only in case', async () => {
    expect((await ctx.tenant.scim.post('/Users', entraCreateBody('bob@contoso.com'))).status).toBe(201);
    const duplicate = await ctx.tenant.scim.post('/Users', entraCreateBody('BOB@Contoso.com'));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
    });
  });

  it('serves an initial cycle sent in parallel', async () => {
    const names = Array.from({ length: 200 }, (_, n) => `cycle-${n}@contoso.com`);
    const responses = await Promise.all(names.map((name) => ctx.tenant.scim.post('/Users', entraCreateBody(name))));
    expect(responses.map((r) => r.status)).toEqual(names.map(() => 201));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(names.length);
    const listed = await ctx.tenant.scim.get(filter('userName eq "cycle-199@contoso.com"'));
    expect(listed.body.totalResults).toBe(1);
  });
});
