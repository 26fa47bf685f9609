import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'okta-org' });

const filter = (expression: string, extra = '') => `/Users?filter=${encodeURIComponent(expression)}${extra}`;

function oktaUser(login: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: login,
    name: { givenName: 'Isaac', familyName: 'Brock' },
    emails: [{ primary: true, value: login, type: 'work' }],
    displayName: 'Isaac Brock',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: '1mz050nq',
    active: true,
  };
}

describe('Okta user provisioning, step by step', () => {
  it('Test API Credentials: GET /Users?startIndex=1&count=1', async () => {
    const response = await ctx.tenant.scim.get('/Users?startIndex=1&count=1');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('creates, reads, replaces, deactivates and reactivates a user', async () => {
    const login = 'isaac.brock@example.com';
    const lookup = await ctx.tenant.scim.get(filter(`userName eq "${login}"`, '&startIndex=1&count=100'));
    expect(lookup.body.totalResults).toBe(0);

    const created = await ctx.tenant.scim.post('/Users', oktaUser(login));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // The full resource comes back, never the password or the client's groups.
    expect(created.body).toMatchObject({
      userName: login,
      displayName: 'Isaac Brock',
      locale: 'en-US',
      active: true,
      name: { givenName: 'Isaac', familyName: 'Brock' },
    });
    expect(created.body).not.toHaveProperty('password');
    expect(created.text).not.toContain('1mz050nq');
    const stored = await ctx.stack.database.db
      .selectFrom('users')
      .select('data')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.data)).not.toContain('1mz050nq');

    // Update: GET then PUT the whole resource back, as apps built with Okta's wizard do.
    const current = await ctx.tenant.scim.get(`/Users/${id}`);
    expect(current.status).toBe(200);
    expect(current.headers.get('etag')).toBe('W/"1"');
    const replaced = await ctx.tenant.scim.put(`/Users/${id}`, {
      ...current.body,
      displayName: 'Isaac B.',
      name: { givenName: 'Isaac', familyName: 'B.' },
      password: 'changed-pw',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      displayName: 'Isaac B.',
      name: { givenName: 'Isaac', familyName: 'B.' },
      meta: { version: 'W/"2"' },
    });
    expect(replaced.text).not.toContain('changed-pw');

    // PUT drops what the new representation leaves out (RFC 7644 §3.5.1).
    const trimmed = await ctx.tenant.scim.put(`/Users/${id}`, {
      schemas: current.body.schemas,
      userName: login,
      active: true,
    });
    expect(trimmed.body).not.toHaveProperty('displayName');
    expect(trimmed.body).not.toHaveProperty('emails');

    // Deactivate: no-path replace. Reactivate the same way.
    const deactivated = await ctx.tenant.scim.patch(`/Users/${id}`, [{ op: 'replace', value: { active: false } }]);
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    const viaPut = await ctx.tenant.scim.put(`/Users/${id}`, { userName: login, active: true });
    expect(viaPut.body.active).toBe(true);
    const reactivated = await ctx.tenant.scim.patch(`/Users/${id}`, [{ op: 'replace', value: { active: true } }]);
    expect(reactivated.body.active).toBe(true);
  });

  it('imports every user page by page with a stable order', async () => {
    const fresh = await ctx.stack.createTenant('okta-import');
    for (let n = 0; n < 23; n++)
      expect((await fresh.scim.post('/Users', oktaUser(`import-${n}@example.com`))).status).toBe(201);
    const seen: string[] = [];
    for (let startIndex = 1; startIndex <= 23; startIndex += 10) {
      const page = await fresh.scim.get(`/Users?startIndex=${startIndex}&count=10`);
      expect(page.body).toMatchObject({ totalResults: 23, startIndex, itemsPerPage: startIndex === 21 ? 3 : 10 });
      seen.push(...(page.body.Resources ?? []).map((r) => r.userName as string));
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, n) => `import-${n}@example.com`));
    expect((await fresh.scim.get('/Users?startIndex=100&count=10')).body).toMatchObject({
      totalResults: 23,
      startIndex: 100,
      itemsPerPage: 0,
    });
    expect((await fresh.scim.get('/Users?count=0')).body).toMatchObject({
      totalResults: 23,
      itemsPerPage: 0,
      Resources: [],
    });
    expect((await fresh.scim.get('/Users?startIndex=0&count=-5')).body).toMatchObject({
      totalResults: 23,
      startIndex: 1,
      itemsPerPage: 0,
    });
  });
});
