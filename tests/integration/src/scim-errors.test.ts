import { useStack } from '../../support/stack';

const ctx = useStack({ env: { MAX_BODY_BYTES: '4096' } });
let userId: string;

beforeAll(async () => {
  userId = (
    await ctx.tenant.scim.post('/Users', {
      userName: 'errors@example.com',
      emails: [{ type: 'work', value: 'e@example.com' }],
    })
  ).body.id as string;
});

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

function expectScimError(
  response: { status: number; body: Record<string, unknown>; headers: Headers },
  status: number,
  scimType?: string,
) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(response.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  expect(typeof response.body.detail).toBe('string');
  if (scimType) expect(response.body.scimType).toBe(scimType);
}

describe('bad requests get SCIM errors, never a 5xx', () => {
  it.each([
    ['malformed JSON', () => ctx.tenant.scim.post('/Users', '{"userName": '), 400, 'invalidSyntax'],
    ['a JSON array body', () => ctx.tenant.scim.post('/Users', []), 400, 'invalidSyntax'],
    ['no body', () => ctx.tenant.scim.request('POST', '/Users'), 400, 'invalidSyntax'],
    [
      'a form body',
      () =>
        ctx.tenant.scim.request('POST', '/Users', 'userName=x', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      415,
      undefined,
    ],
    ['a missing userName', () => ctx.tenant.scim.post('/Users', { displayName: 'x' }), 400, 'invalidValue'],
    [
      'a wrongly typed attribute',
      () => ctx.tenant.scim.post('/Users', { userName: 'x@example.com', active: 'sometimes' }),
      400,
      'invalidValue',
    ],
    [
      'an unknown attribute',
      () => ctx.tenant.scim.post('/Users', { userName: 'x@example.com', shoeSize: 42 }),
      400,
      'invalidValue',
    ],
    [
      'an oversize body',
      () => ctx.tenant.scim.post('/Users', { userName: 'x@example.com', displayName: 'x'.repeat(8000) }),
      413,
      undefined,
    ],
    [
      'an unknown PATCH path',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'shoeSize', value: 42 }]),
      400,
      'invalidPath',
    ],
    [
      'a malformed PATCH path',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'emails[type eq', value: 'x' }]),
      400,
      'invalidPath',
    ],
    [
      'a read-only attribute',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'id', value: 'mine' }]),
      400,
      'mutability',
    ],
    [
      'an unknown PATCH op',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'move', path: 'userName' }]),
      400,
      'invalidSyntax',
    ],
    ['a remove without a path', () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'remove' }]), 400, 'noTarget'],
    [
      'removing a required attribute',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'remove', path: 'userName' }]),
      400,
      'invalidValue',
    ],
    [
      'an invalid filter',
      () => ctx.tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`),
      400,
      'invalidFilter',
    ],
    [
      'a filter on an unknown attribute',
      () => ctx.tenant.scim.get(`/Users?filter=${encodeURIComponent('shoeSize eq 42')}`),
      400,
      'invalidFilter',
    ],
    ['a non-integer count', () => ctx.tenant.scim.get('/Users?count=ten'), 400, 'invalidValue'],
    ['a repeated query parameter', () => ctx.tenant.scim.get('/Users?count=1&count=2'), 400, 'invalidValue'],
    [
      'a NUL character in a value',
      () => ctx.tenant.scim.post('/Users', '{"userName": "nul\\u0000@example.com"}'),
      400,
      'invalidValue',
    ],
    [
      'an unpaired surrogate in a PATCH value',
      () => ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'displayName', value: '\ud800' }]),
      400,
      'invalidValue',
    ],
    [
      'a NUL character in a filter',
      () => ctx.tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq "a\\u0000b"')}`),
      400,
      'invalidFilter',
    ],
    ['an id that is not a uuid', () => ctx.tenant.scim.get('/Users/010101001010101011001010101011'), 404, undefined],
    [
      'PATCH on a non-uuid id',
      () => ctx.tenant.scim.patch('/Users/00919288221112222', [{ op: 'replace', path: 'displayName', value: 'x' }]),
      404,
      undefined,
    ],
    ['an unknown endpoint', () => ctx.tenant.scim.get('/Printers'), 404, undefined],
    ['a malformed %-escape in the path', () => ctx.tenant.scim.get('/Users/%ZZ'), 400, undefined],
    [
      'a corrupt gzip body',
      () =>
        ctx.tenant.scim.request('POST', '/Users', 'garbage', {
          'content-type': 'application/scim+json',
          'content-encoding': 'gzip',
        }),
      400,
      undefined,
    ],
  ])('%s', async (_name, send, status, scimType) => {
    expectScimError(await send(), status, scimType);
  });

  it('answers a page past the end with an empty list, however far', async () => {
    const page = await ctx.tenant.scim.get('/Users?startIndex=99999999999999&count=10');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ startIndex: 99999999999999, itemsPerPage: 0, Resources: [] });
  });

  it('answers 412 when If-Match is stale and applies when it matches', async () => {
    const stale = await ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'title', value: 'x' }], {
      'if-match': 'W/"99"',
    });
    expectScimError(stale, 412);
    const current = await ctx.tenant.scim.get(`/Users/${userId}`);
    const fresh = await ctx.tenant.scim.patch(`/Users/${userId}`, [{ op: 'replace', path: 'title', value: 'x' }], {
      'if-match': current.headers.get('etag') ?? '',
    });
    expect(fresh.status).toBe(200);
    expectScimError(
      await ctx.tenant.scim.delete(`/Users/${userId}`, { 'if-match': current.headers.get('etag') ?? '' }),
      412,
    );
  });

  it('returns 401 with a SCIM body for missing, malformed and wrong tokens', async () => {
    for (const authorization of [undefined, 'non-token', 'Basic YWRtaW46YWRtaW4=', 'Bearer not-the-token']) {
      const response = await fetch(`${ctx.tenant.scimBaseUrl}/Users`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
    }
    const unknownTenant = await fetch(`${ctx.stack.url}/scim/v2/00000000-0000-4000-8000-000000000000/Users`, {
      headers: { authorization: `Bearer ${ctx.tenant.token}` },
    });
    expect(unknownTenant.status).toBe(401);
  });
});
