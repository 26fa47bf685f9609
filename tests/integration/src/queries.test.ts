import { parseExposition } from '../../support/prometheus-text';
import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'queries' });
const q = (expression: string) => encodeURIComponent(expression);
const names = (body: { Resources?: Record<string, unknown>[] }) =>
  (body.Resources ?? []).map((r) => (r.userName ?? r.displayName) as string);
let groupId: string;

beforeAll(async () => {
  const people = [
    {
      userName: 'ann@example.com',
      displayName: 'Ann',
      title: 'CTO',
      emails: [{ type: 'work', value: 'ann@corp.example' }],
    },
    {
      userName: 'ben@example.com',
      displayName: 'Ben',
      active: false,
      emails: [{ type: 'home', value: 'ben@home.example' }],
    },
    { userName: 'cat@example.com', displayName: 'Cat', title: 'Engineer', name: { familyName: 'Zed' } },
    { userName: 'dan@example.com', title: 'Engineer' },
    { userName: 'eve@example.com', displayName: 'Eve', title: 'Engineer', name: { familyName: 'Adams' } },
  ];
  const ids: string[] = [];
  for (const person of people) ids.push((await ctx.tenant.scim.post('/Users', person)).body.id as string);
  groupId = (
    await ctx.tenant.scim.post('/Groups', {
      displayName: 'Engineers',
      members: ids.slice(2).map((value) => ({ value })),
    })
  ).body.id as string;
  await ctx.tenant.scim.post('/Groups', { displayName: 'Empty' });
});

describe('filters and sorting over HTTP', () => {
  it.each([
    ['title eq "engineer" and not (displayName pr)', ['dan@example.com']],
    [
      'title eq "Engineer" or userName sw "ann"',
      ['ann@example.com', 'cat@example.com', 'dan@example.com', 'eve@example.com'],
    ],
    ['emails[type eq "work" and value co "@corp"]', ['ann@example.com']],
    ['active eq false', ['ben@example.com']],
    [
      'meta.lastModified gt "2020-01-01T00:00:00Z" and userName ew "n@example.com"',
      ['ann@example.com', 'ben@example.com', 'dan@example.com'],
    ],
  ])('%s', async (expression, expected) => {
    const response = await ctx.tenant.scim.get(`/Users?filter=${q(expression)}&sortBy=userName`);
    expect(response.status).toBe(200);
    expect(names(response.body)).toEqual(expected);
  });

  it('filters groups by member and sorts descending with missing values first', async () => {
    const members = (await ctx.tenant.scim.get(`/Groups/${groupId}`)).body.members as { value: string }[];
    const byMember = await ctx.tenant.scim.get(
      `/Groups?filter=${q(`members.value eq "${members[0]?.value}"`)}&excludedAttributes=members`,
    );
    expect(names(byMember.body)).toEqual(['Engineers']);
    const sorted = await ctx.tenant.scim.get('/Users?sortBy=name.familyName&sortOrder=descending');
    expect(names(sorted.body).slice(-2)).toEqual(['cat@example.com', 'eve@example.com']);
    expect((await ctx.tenant.scim.get('/Users?sortOrder=sideways')).body).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
  });

  it('walks every user by cursor (RFC 9865) in the same order as by index', async () => {
    const all = names((await ctx.tenant.scim.get('/Users?sortBy=displayName&count=100')).body);
    const walked: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await ctx.tenant.scim.get(`/Users?sortBy=displayName&count=2&cursor=${cursor}`);
      expect(page.body).toMatchObject({ totalResults: 5 });
      expect(page.body).not.toHaveProperty('startIndex');
      walked.push(...names(page.body));
      if (typeof page.body.nextCursor !== 'string') break;
      cursor = page.body.nextCursor;
    }
    expect(walked).toEqual(all);
    expect((await ctx.tenant.scim.get(`/Users?sortBy=userName&count=2&cursor=${cursor}`)).body).toMatchObject({
      status: '400',
      scimType: 'invalidCursor',
    });
    expect((await ctx.tenant.scim.get('/Users?cursor=&startIndex=2')).body).toMatchObject({ status: '400' });
  });
});

describe('attributes and excludedAttributes', () => {
  it('projects lists, single reads and write responses', async () => {
    const listed = await ctx.tenant.scim.get(
      `/Users?filter=${q('userName eq "ann@example.com"')}&attributes=userName,emails.value`,
    );
    expect(listed.body.Resources?.[0]).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: expect.any(String),
      userName: 'ann@example.com',
      emails: [{ value: 'ann@corp.example' }],
    });
    const id = listed.body.Resources?.[0]?.id as string;
    const excluded = await ctx.tenant.scim.get(`/Users/${id}?excludedAttributes=emails,meta`);
    expect(excluded.body).not.toHaveProperty('emails');
    expect(excluded.body).not.toHaveProperty('meta');
    expect(excluded.body).toHaveProperty('id');
    const patched = await ctx.tenant.scim.patch(`/Users/${id}?attributes=title`, [
      { op: 'replace', path: 'title', value: 'CEO' },
    ]);
    expect(patched.body).toEqual({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id, title: 'CEO' });
    const members = await ctx.tenant.scim.get(`/Groups/${groupId}?attributes=members.value`);
    expect(members.body).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: groupId,
      members: expect.arrayContaining([{ value: expect.any(String) }]),
    });
  });
});

describe('POST .search', () => {
  it('searches users, groups and everything', async () => {
    const search = (path: string, body: Record<string, unknown>) =>
      ctx.tenant.scim.post(path, { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], ...body });
    const users = await search('/Users/.search', {
      filter: 'title eq "engineer"',
      sortBy: 'userName',
      attributes: ['userName'],
      startIndex: 1,
      count: 2,
    });
    expect(users.body).toMatchObject({ totalResults: 3, itemsPerPage: 2, startIndex: 1 });
    expect(names(users.body)).toEqual(['cat@example.com', 'dan@example.com']);
    const groups = await search('/Groups/.search', { filter: 'displayName sw "E"', excludedAttributes: ['members'] });
    expect(names(groups.body).toSorted()).toEqual(['Empty', 'Engineers']);

    const everything = await search('/.search', { count: 100, attributes: ['userName', 'displayName'] });
    expect(everything.body).toMatchObject({ totalResults: 7, itemsPerPage: 7 });
    expect(names(everything.body)).toEqual([
      'ann@example.com',
      'ben@example.com',
      'cat@example.com',
      'dan@example.com',
      'eve@example.com',
      'Engineers',
      'Empty',
    ]);
    const onlyGroups = await search('/.search', { filter: 'displayName eq "empty"' });
    expect(onlyGroups.body).toMatchObject({ totalResults: 1, Resources: [{ displayName: 'Empty' }] });
    const paged: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await search('/.search', { cursor, count: 3 });
      paged.push(...names(page.body));
      if (typeof page.body.nextCursor !== 'string') break;
      cursor = page.body.nextCursor;
    }
    expect(paged).toHaveLength(7);
    expect((await search('/.search', { filter: 'nonsense eq "x"' })).body).toMatchObject({
      status: '400',
      scimType: 'invalidFilter',
    });
    expect((await ctx.tenant.scim.post('/.search', { schemas: ['urn:wrong'] })).body).toMatchObject({ status: '400' });
  });
});

describe('versions', () => {
  it('answers If-None-Match with 304 and honours If-Match on groups', async () => {
    const current = await ctx.tenant.scim.get(`/Groups/${groupId}`);
    const etag = current.headers.get('etag') as string;
    expect(etag).toMatch(/^W\/"\d+"$/);
    expect((await ctx.tenant.scim.get(`/Groups/${groupId}`, { 'if-none-match': etag })).status).toBe(304);
    const userId = (current.body.members as { value: string }[])[0]?.value as string;
    const userEtag = (await ctx.tenant.scim.get(`/Users/${userId}`)).headers.get('etag') as string;
    expect((await ctx.tenant.scim.get(`/Users/${userId}`, { 'if-none-match': userEtag })).status).toBe(304);
    expect((await ctx.tenant.scim.get(`/Users/${userId}`, { 'if-none-match': 'W/"999"' })).status).toBe(200);

    expect(
      (
        await ctx.tenant.scim.patch(`/Groups/${groupId}`, [{ op: 'replace', path: 'displayName', value: 'Stale' }], {
          'if-match': 'W/"999"',
        })
      ).status,
    ).toBe(412);
    const renamed = await ctx.tenant.scim.patch(
      `/Groups/${groupId}`,
      [{ op: 'replace', path: 'displayName', value: 'Engineering' }],
      { 'if-match': etag },
    );
    expect(renamed.status).toBe(204);
    expect(renamed.headers.get('etag')).not.toBe(etag);
    expect((await ctx.tenant.scim.get(`/Groups/${groupId}`, { 'if-none-match': etag })).status).toBe(200);
    expect((await ctx.tenant.scim.delete(`/Groups/${groupId}`, { 'if-match': etag })).status).toBe(412);
  });
});

describe("the identity providers' lookups, many at once", () => {
  it("answers concurrent userName and externalId lookups of two tenants each with its own tenant's users", async () => {
    const other = await ctx.stack.createTenant('queries-other');
    const people = ['kim', 'lee', 'max', 'ned'];
    const idsOf = async (tenant: typeof other, externalId: (name: string) => string) => {
      const ids = new Map<string, string>();
      for (const name of people) {
        const created = await tenant.scim.post('/Users', {
          userName: `${name}@lookup.example`,
          externalId: externalId(name),
        });
        ids.set(name, created.body.id as string);
      }
      return ids;
    };
    // The same names in both tenants; externalIds that differ only in case between them.
    const mine = await idsOf(ctx.tenant, (name) => `ext-${name}`);
    const theirs = await idsOf(other, (name) => `EXT-${name}`);
    const asks = Array.from({ length: 64 }, (_, index) => {
      const tenant = index % 2 === 0 ? ctx.tenant : other;
      const name = people[index % people.length] ?? 'kim';
      const byExternalId = index % 3 === 0;
      const miss = index % 7 === 0;
      const value = miss
        ? `${name}@elsewhere.example`
        : byExternalId
          ? `ext-${name}`
          : `${name.toUpperCase()}@LOOKUP.example`;
      const filter = `${byExternalId ? 'externalId' : 'userName'} eq "${value}"`;
      const expected = miss || (byExternalId && tenant === other) ? [] : [(tenant === other ? theirs : mine).get(name)];
      return { tenant, filter, expected };
    });
    const answers = await Promise.all(asks.map(({ tenant, filter }) => tenant.scim.get(`/Users?filter=${q(filter)}`)));
    answers.forEach((answer, index) => {
      const { expected, filter } = asks[index] ?? { expected: [], filter: '' };
      expect({ filter, status: answer.status, ids: (answer.body.Resources ?? []).map((user) => user.id) }).toEqual({
        filter,
        status: 200,
        ids: expected,
      });
      expect(answer.body.totalResults).toBe(expected.length);
    });
  });

  it("answers Entra's group lookups (members excluded) with the tenant's own group, and Okta's with its members", async () => {
    const other = await ctx.stack.createTenant('queries-groups');
    const member = (await other.scim.post('/Users', { userName: 'crew@lookup.example' })).body.id as string;
    const created = await Promise.all(
      [ctx.tenant, other].map((tenant, index) =>
        tenant.scim.post('/Groups', { displayName: 'Lookup Crew', members: index === 1 ? [{ value: member }] : [] }),
      ),
    );
    const [mine, theirs] = created.map((response) => response.body.id as string);
    const lookup = (tenant: typeof other, query: string) => tenant.scim.get(`/Groups?${query}`);
    const entra = `excludedAttributes=members&filter=${q('displayName eq "LOOKUP crew"')}`;
    const lookedUp = async () => {
      const scraped = parseExposition(await (await fetch(`${ctx.stack.url}/metrics`)).text());
      return scraped.samples.find((sample) => sample.name === 'scimflow_lookups_per_statement_sum')?.value ?? 0;
    };
    const before = await lookedUp();
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, index) => lookup(index % 2 === 0 ? ctx.tenant : other, entra)),
      lookup(other, `filter=${q('displayName eq "lookup crew"')}`),
    ]);
    answers.slice(0, 8).forEach((answer, index) => {
      expect(answer.status).toBe(200);
      expect(answer.body.totalResults).toBe(1);
      const [group] = answer.body.Resources ?? [];
      expect(group).toMatchObject({ id: index % 2 === 0 ? mine : theirs, displayName: 'Lookup Crew' });
      expect(group).not.toHaveProperty('members');
    });
    expect(answers[8]?.body.Resources?.[0]).toMatchObject({ id: theirs, members: [{ value: member }] });
    // The eight without members were lookups; the one with members read its group and members in one snapshot.
    expect((await lookedUp()) - before).toBe(8);
  });
});
