import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { useStack, type Tenant } from '../../support/stack';

// Issue 10: POST /Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, advertised and enforced
// limits (413), each operation through the command pipeline (atomic, charged to the budget).
const ctx = useStack({ tenant: 'bulk', env: { BULK_MAX_OPERATIONS: '20', BULK_MAX_PAYLOAD_BYTES: '8192' } });
type Item = Record<string, unknown>;
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

function bulk(tenant: Tenant, operations: Item[], extra: Item = {}) {
  return tenant.scim.post('/Bulk', { schemas: [BULK], Operations: operations, ...extra });
}

function resultsOf(response: { body: Item }): Item[] {
  return (response.body.Operations as Item[] | undefined) ?? [];
}

function idOf(result: Item | undefined): string {
  return String(result?.location).split('/').pop() ?? '';
}

describe('POST /Bulk', () => {
  it('creates a user and a group naming it by bulkId, in either order, and answers per §3.7.3', async () => {
    const tenant = ctx.tenant;
    const response = await bulk(tenant, [
      // The group comes first and names a user created later: it waits for it (§3.7.2).
      {
        method: 'POST',
        path: '/Groups',
        bulkId: 'g1',
        data: { displayName: 'Bulk Engineers', members: [{ value: 'bulkId:u1' }] },
      },
      { method: 'POST', path: '/Users', bulkId: 'u1', data: { userName: 'bulk-ada@example.com' } },
      {
        method: 'PATCH',
        path: '/Groups/bulkId:g1',
        data: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:u2' }] }],
        },
      },
      { method: 'POST', path: '/Users', bulkId: 'u2', data: { userName: 'bulk-grace@example.com' } },
    ]);
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    const [group, ada, patch, grace] = resultsOf(response);
    expect(group).toMatchObject({
      method: 'POST',
      bulkId: 'g1',
      status: '201',
      version: expect.stringMatching(/^W\//),
    });
    expect(ada).toMatchObject({ method: 'POST', bulkId: 'u1', status: '201' });
    expect(String(ada?.location)).toMatch(new RegExp(`^${tenant.scimBaseUrl}/Users/[0-9a-f-]{36}$`));
    expect(grace).toMatchObject({ status: '201' });
    expect(patch).toMatchObject({ method: 'PATCH', status: expect.stringMatching(/^20[04]$/) });
    expect(patch?.location).toBe(group?.location);

    const stored = await tenant.scim.get(`/Groups/${idOf(group)}`);
    const members = (stored.body.members as Item[]).map((member) => String(member.value)).toSorted();
    expect(members).toEqual([idOf(ada), idOf(grace)].toSorted());
    const user = await tenant.scim.get(`/Users/${idOf(ada)}`);
    expect(user.body.groups).toEqual([expect.objectContaining({ value: idOf(group) })]);
  });

  it('answers each operation alone: a refused one changes nothing, the others apply', async () => {
    const tenant = await ctx.stack.createTenant('bulk-mixed');
    const existing = await tenant.scim.post('/Groups', { displayName: 'Untouched' });
    const before = await tenant.scim.get(`/Groups/${String(existing.body.id)}`);
    const response = await bulk(tenant, [
      { method: 'POST', path: '/Users', bulkId: 'ok', data: { userName: 'fine@example.com' } },
      { method: 'POST', path: '/Users', bulkId: 'bad', data: { userName: '' } },
      // PATCH is atomic per operation: the rename must not land when the member is unknown.
      {
        method: 'PATCH',
        path: `/Groups/${String(existing.body.id)}`,
        data: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [
            { op: 'replace', path: 'displayName', value: 'Renamed' },
            { op: 'add', path: 'members', value: [{ value: '0190a0b0-0000-7000-8000-00000000dead' }] },
          ],
        },
      },
      // Depends on the refused create: 409, never run (§3.7.2).
      {
        method: 'POST',
        path: '/Groups',
        bulkId: 'dependent',
        data: { displayName: 'D', members: [{ value: 'bulkId:bad' }] },
      },
      { method: 'DELETE', path: '/Users/0190a0b0-0000-7000-8000-000000000404' },
      {
        method: 'PUT',
        path: `/Groups/${String(existing.body.id)}`,
        version: 'W/"999"',
        data: { displayName: 'Stale' },
      },
    ]);
    expect(response.status).toBe(200);
    const [ok, bad, patch, dependent, missing, stale] = resultsOf(response);
    expect(ok).toMatchObject({ status: '201' });
    expect(bad).toMatchObject({
      status: '400',
      response: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '400',
        scimType: expect.any(String),
      },
    });
    expect(Number(patch?.status)).toBeGreaterThanOrEqual(400);
    expect(dependent).toMatchObject({ status: '409', bulkId: 'dependent' });
    expect(String((dependent?.response as Item).detail)).toContain('bad');
    expect(missing).toMatchObject({ status: '404' });
    expect(stale).toMatchObject({ status: '412' });

    const after = await tenant.scim.get(`/Groups/${String(existing.body.id)}`);
    expect(after.body.displayName).toBe('Untouched');
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
    const groups = await tenant.scim.get('/Groups');
    expect(groups.body.totalResults).toBe(1);

    // Every refusal is in the provisioning log with the bulk request's id.
    const requestId = response.headers.get('x-request-id');
    await waitFor(
      async () => {
        const items = ((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/logs`)).body.items ?? []) as Item[];
        return items.filter((item) => item.outcome === 'failure' && item.requestId === requestId).length === 5;
      },
      5_000,
      'five failures logged',
    );
  });

  it('stops after failOnErrors errors and answers only what it processed', async () => {
    const tenant = await ctx.stack.createTenant('bulk-fail-fast');
    const response = await bulk(
      tenant,
      [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'a@example.com' } },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'a@example.com' } },
        { method: 'POST', path: '/Users', bulkId: 'c', data: { userName: 'c@example.com' } },
      ],
      { failOnErrors: 1 },
    );
    expect(response.status).toBe(200);
    expect(resultsOf(response).map((result) => [result.bulkId, result.status])).toEqual([
      ['a', '201'],
      ['b', '409'],
    ]);
    const users = await tenant.scim.get('/Users');
    expect(users.body.totalResults).toBe(1);
  });

  it('refuses circular references with 409 and a malformed request as a whole with 400', async () => {
    const tenant = await ctx.stack.createTenant('bulk-refused');
    const circular = await bulk(tenant, [
      { method: 'POST', path: '/Groups', bulkId: 'x', data: { displayName: 'X', members: [{ value: 'bulkId:y' }] } },
      { method: 'POST', path: '/Groups', bulkId: 'y', data: { displayName: 'Y', members: [{ value: 'bulkId:x' }] } },
    ]);
    expect(resultsOf(circular).map((result) => result.status)).toEqual(['409', '409']);

    const user = { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'never@example.com' } };
    const malformed: [unknown, RegExp][] = [
      [{ Operations: [user] }, /schemas/],
      [{ schemas: [BULK], Operations: [] }, /Operations/],
      [{ schemas: [BULK], Operations: [user, user] }, /used twice/],
      [{ schemas: [BULK], Operations: [{ ...user, bulkId: undefined }] }, /bulkId/],
      [{ schemas: [BULK], Operations: [user, { method: 'GET', path: '/Users' }] }, /method/],
      [{ schemas: [BULK], Operations: [user, { method: 'DELETE', path: '/Users' }] }, /Operations\[1\]/],
      [{ schemas: [BULK], Operations: [user, { method: 'DELETE', path: '/Users/bulkId:nope' }] }, /nope/],
      [{ schemas: [BULK], Operations: [user, { method: 'POST', path: '/Schemas', bulkId: 's', data: {} }] }, /path/],
      [{ schemas: [BULK], failOnErrors: 0, Operations: [user] }, /failOnErrors/],
    ];
    for (const [body, detail] of malformed) {
      const response = await tenant.scim.post('/Bulk', body);
      expect({ status: response.status, scimType: typeof response.body.scimType }).toEqual({
        status: 400,
        scimType: 'string',
      });
      expect(String(response.body.detail)).toMatch(detail);
    }
    expect((await tenant.scim.get('/Users')).body.totalResults).toBe(0);
  });

  it('advertises maxOperations and maxPayloadSize and answers 413 past them', async () => {
    const tenant = await ctx.stack.createTenant('bulk-limits');
    const config = await tenant.scim.get('/ServiceProviderConfig');
    expect(config.body.bulk).toEqual({ supported: true, maxOperations: 20, maxPayloadSize: 8192 });
    const many = Array.from({ length: 21 }, (_, n) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${n}`,
      data: { userName: `many-${n}@example.com` },
    }));
    const tooMany = await bulk(tenant, many);
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ status: '413', detail: expect.stringContaining('maxOperations') });
    const big = await bulk(tenant, [
      { method: 'POST', path: '/Users', bulkId: 'big', data: { userName: 'big@example.com', title: 'x'.repeat(9000) } },
    ]);
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '413' });
    expect((await tenant.scim.get('/Users')).body.totalResults).toBe(0);
  });

  it("charges every operation to the tenant's write budget", async () => {
    const tenant = await ctx.stack.createTenant('bulk-budget');
    expect(
      (
        await admin(ctx.stack.url, 'PATCH', `/tenants/${tenant.id}`, {
          budget: { writesPerSecond: 0.1, writeBurst: 3 },
        })
      ).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await bulk(
      tenant,
      Array.from({ length: 5 }, (_, n) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `u${n}`,
        data: { userName: `budget-${n}@example.com` },
      })),
    );
    expect(response.status).toBe(200);
    const statuses = resultsOf(response).map((result) => result.status);
    expect(statuses.filter((status) => status === '201')).toHaveLength(3);
    expect(statuses.filter((status) => status === '429')).toHaveLength(2);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect((await tenant.scim.get('/Users')).body.totalResults).toBe(3);
    // The bulk request itself is not a write: a single write right after is still refused.
    expect((await tenant.scim.post('/Users', { userName: 'one-more@example.com' })).status).toBe(429);
  });
});
