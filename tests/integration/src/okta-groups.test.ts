import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'okta-groups' });

async function user(userName: string): Promise<string> {
  return (await ctx.tenant.scim.post('/Users', { userName, name: { givenName: userName, familyName: 'X' } })).body
    .id as string;
}

const ids = (body: Record<string, unknown>) =>
  ((body.members ?? []) as { value: string }[]).map((m) => m.value).toSorted();

describe('Okta group push, step by step', () => {
  it('pushes a group with PATCH: lookup, create, add with display, remove by filter, replace the list, rename', async () => {
    const [a, b, c] = [await user('a@okta.example'), await user('b@okta.example'), await user('c@okta.example')];
    const created = await ctx.tenant.scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Pushed',
      members: [],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const lookup = await ctx.tenant.scim.get(
      `/Groups?filter=${encodeURIComponent('displayName eq "Pushed"')}&startIndex=1&count=100`,
    );
    expect(lookup.body).toMatchObject({ totalResults: 1, Resources: [{ id }] });

    await ctx.tenant.scim.patch(`/Groups/${id}`, [
      {
        op: 'add',
        path: 'members',
        value: [
          { value: a, display: 'a@okta.example' },
          { value: b, display: 'b' },
        ],
      },
    ]);
    expect(ids((await ctx.tenant.scim.get(`/Groups/${id}`)).body)).toEqual([a, b].toSorted());
    await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'remove', path: `members[value eq "${a}"]` }]);
    expect(ids((await ctx.tenant.scim.get(`/Groups/${id}`)).body)).toEqual([b]);
    await ctx.tenant.scim.patch(`/Groups/${id}`, [
      { op: 'replace', path: 'members', value: [{ value: a }, { value: c }] },
    ]);
    expect(ids((await ctx.tenant.scim.get(`/Groups/${id}`)).body)).toEqual([a, c].toSorted());
    await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'replace', path: 'members', value: [] }]);
    expect((await ctx.tenant.scim.get(`/Groups/${id}`)).body).not.toHaveProperty('members');

    // Okta's rename: a no-path replace carrying the group's id.
    const renamed = await ctx.tenant.scim.patch(`/Groups/${id}?attributes=displayName`, [
      { op: 'replace', value: { id, displayName: 'Pushed (renamed)' } },
    ]);
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id,
      displayName: 'Pushed (renamed)',
    });
  });

  it('pushes a group with PUT and the full member list, then unlinks and deletes it', async () => {
    const [a, b] = [await user('put-a@okta.example'), await user('put-b@okta.example')];
    const id = (await ctx.tenant.scim.post('/Groups', { displayName: 'Put group', members: [{ value: a }] })).body
      .id as string;
    const replaced = await ctx.tenant.scim.put(`/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id,
      displayName: 'Put group',
      members: [{ value: b, display: 'b' }],
    });
    expect(replaced.status).toBe(200);
    expect(ids(replaced.body)).toEqual([b]);
    expect(replaced.body).toMatchObject({ meta: { version: 'W/"2"' } });
    expect((await ctx.tenant.scim.delete(`/Groups/${id}`)).status).toBe(204);
  });

  it('imports groups page by page', async () => {
    for (let n = 0; n < 5; n++) await ctx.tenant.scim.post('/Groups', { displayName: `Import ${n}` });
    const first = await ctx.tenant.scim.get('/Groups?startIndex=1&count=2');
    const second = await ctx.tenant.scim.get('/Groups?startIndex=3&count=2');
    expect(first.body).toMatchObject({ startIndex: 1, itemsPerPage: 2 });
    expect(second.body).toMatchObject({ startIndex: 3, itemsPerPage: 2 });
    expect(first.body.totalResults).toBe(second.body.totalResults);
    const seen = [...(first.body.Resources ?? []), ...(second.body.Resources ?? [])].map((g) => g.id);
    expect(new Set(seen).size).toBe(4);
  });
});
