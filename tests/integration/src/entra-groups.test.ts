import { randomUUID } from 'node:crypto';
import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'contoso-groups' });
const filter = (expression: string, extra = '') => `?filter=${encodeURIComponent(expression)}${extra}`;

async function user(userName: string): Promise<string> {
  const response = await ctx.tenant.scim.post('/Users', { userName, displayName: userName.split('@')[0] });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

describe('Entra ID group provisioning, step by step', () => {
  it('creates a group, manages its members and renames and deletes it as Entra does', async () => {
    const [alice, bob, carol] = [
      await user('alice@contoso.com'),
      await user('bob@contoso.com'),
      await user('carol@contoso.com'),
    ];

    // Lookup by the group matching attribute, then create without members; the extra Microsoft URN is ignored.
    const lookup = await ctx.tenant.scim.get(
      `/Groups${filter('displayName eq "Sales"', '&excludedAttributes=members')}`,
    );
    expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await ctx.tenant.scim.post('/Groups', {
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:Group',
        'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
      ],
      externalId: 'b1b9c2e8-sales',
      displayName: 'Sales',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${ctx.tenant.scimBaseUrl}/Groups/${id}`);
    expect(created.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Sales',
      externalId: 'b1b9c2e8-sales',
      meta: { resourceType: 'Group', version: 'W/"1"' },
    });
    expect(created.body).not.toHaveProperty('members');

    // Add members one PATCH at a time, as Entra does.
    for (const member of [alice, bob, carol]) {
      const added = await ctx.tenant.scim.patch(`/Groups/${id}`, [
        { op: 'Add', path: 'members', value: [{ value: member }] },
      ]);
      expect(added.status).toBe(204);
    }
    let group = await ctx.tenant.scim.get(`/Groups/${id}`);
    expect((group.body.members as { value: string }[]).map((m) => m.value).toSorted()).toEqual(
      [alice, bob, carol].toSorted(),
    );
    expect(group.body.members).toContainEqual({
      value: alice,
      $ref: `${ctx.tenant.scimBaseUrl}/Users/${alice}`,
      type: 'User',
      display: 'alice',
    });
    expect(group.headers.get('etag')).toBe('W/"4"');

    // A user's groups are derived from the memberships.
    expect((await ctx.tenant.scim.get(`/Users/${alice}`)).body.groups).toEqual([
      { value: id, display: 'Sales', type: 'direct', $ref: `${ctx.tenant.scimBaseUrl}/Groups/${id}` },
    ]);

    // Both remove shapes.
    expect(
      (await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'Remove', path: 'members', value: [{ value: alice }] }]))
        .status,
    ).toBe(204);
    expect(
      (await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'Remove', path: `members[value eq "${bob}"]` }])).status,
    ).toBe(204);
    group = await ctx.tenant.scim.get(`/Groups/${id}`);
    expect((group.body.members as { value: string }[]).map((m) => m.value)).toEqual([carol]);

    // Rename, then the reads Entra makes.
    expect(
      (await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }]))
        .status,
    ).toBe(204);
    const excluded = await ctx.tenant.scim.get(`/Groups/${id}?excludedAttributes=members`);
    expect(excluded.body).toMatchObject({ id, displayName: 'Sales EMEA' });
    expect(excluded.body).not.toHaveProperty('members');
    const found = await ctx.tenant.scim.get(
      `/Groups${filter('displayName eq "sales emea"', '&excludedAttributes=members')}`,
    );
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, displayName: 'Sales EMEA' }] });
    expect(found.body.Resources?.[0]).not.toHaveProperty('members');

    expect((await ctx.tenant.scim.delete(`/Groups/${id}`)).status).toBe(204);
    expect((await ctx.tenant.scim.get(`/Groups/${id}`)).status).toBe(404);
    expect((await ctx.tenant.scim.get(`/Users/${carol}`)).body).not.toHaveProperty('groups');
  });

  it('refuses unknown members without applying anything, and treats a second add as a no-op', async () => {
    const dave = await user('dave@contoso.com');
    const id = (await ctx.tenant.scim.post('/Groups', { displayName: 'Strict' })).body.id as string;
    const refused = await ctx.tenant.scim.patch(`/Groups/${id}`, [
      { op: 'Add', path: 'members', value: [{ value: dave }, { value: randomUUID() }] },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ scimType: 'invalidValue' });
    expect((await ctx.tenant.scim.get(`/Groups/${id}`)).body).not.toHaveProperty('members');

    await ctx.tenant.scim.patch(`/Groups/${id}`, [{ op: 'Add', path: 'members', value: [{ value: dave }] }]);
    const again = await ctx.tenant.scim.patch(`/Groups/${id}`, [
      { op: 'Add', path: 'members', value: [{ value: dave }] },
    ]);
    expect(again.status).toBe(204);
    expect(again.headers.get('etag')).toBe('W/"2"');

    // Deleting the user removes its memberships and gives the group a new version.
    await ctx.tenant.scim.delete(`/Users/${dave}`);
    const after = await ctx.tenant.scim.get(`/Groups/${id}`);
    expect(after.body).not.toHaveProperty('members');
    expect(after.headers.get('etag')).toBe('W/"3"');
  });

  it('answers 409 uniqueness for a displayName that differs only in case', async () => {
    expect((await ctx.tenant.scim.post('/Groups', { displayName: 'Finance' })).status).toBe(201);
    expect((await ctx.tenant.scim.post('/Groups', { displayName: 'FINANCE' })).body).toMatchObject({
      status: '409',
      scimType: 'uniqueness',
    });
  });

  it("refuses to change a user's derived groups directly", async () => {
    const erin = await user('erin@contoso.com');
    const response = await ctx.tenant.scim.patch(`/Users/${erin}`, [
      { op: 'add', path: 'groups', value: [{ value: randomUUID() }] },
    ]);
    expect(response.body).toMatchObject({ status: '400', scimType: 'mutability' });
  });
});
