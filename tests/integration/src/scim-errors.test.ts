import { Stack, type Tenant } from '../../support/stack';

let stack: Stack;
let tenant: Tenant;
let userId: string;

beforeAll(async () => {
  stack = await Stack.start({ env: { MAX_BODY_BYTES: '4096' } });
  tenant = await stack.createTenant();
  userId = (await tenant.scim.post('/Users', { userName: 'errors@example.com', emails: [{ type: 'work', value: 'e@example.com' }] })).body.id as string;
});
afterAll(() => stack.stop());

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

function expectScimError(response: { status: number; body: Record<string, unknown>; headers: Headers }, status: number, scimType?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(response.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  expect(typeof response.body.detail).toBe('string');
  if (scimType) expect(response.body.scimType).toBe(scimType);
}

describe('bad requests get SCIM errors, never a 5xx', () => {
  it.each([
    ['malformed JSON', () => tenant.scim.post('/Users', '{"userName": '), 400, 'invalidSyntax'],
    ['a JSON array body', () => tenant.scim.post('/Users', []), 400, 'invalidSyntax'],
    ['no body', () => tenant.scim.request('POST', '/Users'), 400, 'invalidSyntax'],
    ['a form body', () => tenant.scim.request('POST', '/Users', 'userName=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, undefined],
    ['a missing userName', () => tenant.scim.post('/Users', { displayName: 'x' }), 400, 'invalidValue'],
    ['a wrongly typed attribute', () => tenant.scim.post('/Users', { userName: 'x@example.com', active: 'sometimes' }), 400, 'invalidValue'],
    ['an unknown attribute', () => tenant.scim.post('/Users', { userName: 'x@example.com', shoeSize: 42 }), 400, 'invalidValue'],
    ['an oversize body', () => tenant.scim.post('/Users', { userName: 'x@example.com', displayName: 'x'.repeat(8000) }), 413, undefined],
    ['an unknown PATCH path', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'shoeSize', value: 42 }]), 400, 'invalidPath'],
    ['a malformed PATCH path', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'emails[type eq', value: 'x' }]), 400, 'invalidPath'],
    ['a read-only attribute', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'id', value: 'mine' }]), 400, 'mutability'],
    ['an unknown PATCH op', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'move', path: 'userName' }]), 400, 'invalidSyntax'],
    ['a remove without a path', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'remove' }]), 400, 'noTarget'],
    ['removing a required attribute', () => tenant.scim.patch(`/Users/${userId}`, [{ op: 'remove', path: 'userName' }]), 400, 'invalidValue'],
    ['an invalid filter', () => tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter'],
    ['a filter on an unknown attribute', () => tenant.scim.get(`/Users?filter=${encodeURIComponent('shoeSize eq 42')}`), 400, 'invalidFilter'],
    ['a non-integer count', () => tenant.scim.get('/Users?count=ten'), 400, 'invalidValue'],
    ['a repeated query parameter', () => tenant.scim.get('/Users?count=1&count=2'), 400, 'invalidValue'],
    ['an id that is not a uuid', () => tenant.scim.get('/Users/010101001010101011001010101011'), 404, undefined],
    ['PATCH on a non-uuid id', () => tenant.scim.patch('/Users/00919288221112222', [{ op: 'replace', path: 'displayName', value: 'x' }]), 404, undefined],
    ['an unknown endpoint', () => tenant.scim.get('/Printers'), 404, undefined],
  ])('%s', async (_name, send, status, scimType) => {
    expectScimError(await send(), status, scimType);
  });

  it('answers 412 when If-Match is stale and applies when it matches', async () => {
    const stale = await tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'title', value: 'x' }], { 'if-match': 'W/"99"' });
    expectScimError(stale, 412);
    const current = await tenant.scim.get(`/Users/${userId}`);
    const fresh = await tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'title', value: 'x' }], { 'if-match': current.headers.get('etag') ?? '' });
    expect(fresh.status).toBe(200);
    expectScimError(await tenant.scim.delete(`/Users/${userId}`, { 'if-match': current.headers.get('etag') ?? '' }), 412);
  });

  it('returns 401 with a SCIM body for missing, malformed and wrong tokens', async () => {
    for (const authorization of [undefined, 'non-token', 'Basic YWRtaW46YWRtaW4=', 'Bearer not-the-token']) {
      const response = await fetch(`${tenant.scimBaseUrl}/Users`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
    }
    const unknownTenant = await fetch(`${stack.url}/scim/v2/00000000-0000-4000-8000-000000000000/Users`, { headers: { authorization: `Bearer ${tenant.token}` } });
    expect(unknownTenant.status).toBe(401);
  });
});
