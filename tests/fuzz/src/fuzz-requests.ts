import { gzipSync } from 'node:zlib';
import * as fc from 'fast-check';
import {
  anyFilter,
  attributePath,
  bulkBody,
  groupBody,
  patchBody,
  searchBody,
  searchQuery,
  userBody,
  wellFormedGroup,
  type QueryValue,
} from '../../support/scim-arbitraries';

/** One request as sent: a raw path (with query), any method, any headers, any bytes. */
export interface FuzzRequest {
  /** What the generator meant to test, for the report ("patch user", "malformed json"...). */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

/** What the generators may point at: the fuzzed tenant's base path, its token, and ids that exist. */
export interface FuzzTarget {
  readonly basePath: string;
  readonly token: string;
  readonly userIds: readonly string[];
  readonly groupIds: readonly string[];
  /** The body size the ingress refuses with 413. */
  readonly maxBodyBytes: number;
}

const SCIM_JSON = 'application/scim+json';

/** Percent-encoded UTF-8; a lone surrogate (which generated text may hold) goes as U+FFFD. */
const encoded = (text: string) => encodeURIComponent(text.toWellFormed());

/** `a=1&a=2&b[c]=3`: how a client writes what Express parses back into strings, arrays and objects. */
export function queryString(query: Readonly<Record<string, QueryValue>>): string {
  const pairs: string[] = [];
  const add = (key: string, value: string) => pairs.push(`${encoded(key)}=${encoded(value)}`);
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string') add(key, value);
    else if (Array.isArray(value)) for (const item of value) add(key, String(item));
    else for (const [sub, item] of Object.entries(value)) add(`${key}[${sub}]`, item);
  }
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

/** Ids in a path: ones that exist, unknown uuids, other spellings, and junk. */
function resourceId(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: ids.length > 0 ? 8 : 0, arbitrary: fc.constantFrom(...(ids.length > 0 ? ids : ['none'])) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom(...ids.slice(0, 3).map((id) => id.toUpperCase()), 'me', '..', '%00') },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(encoded) },
  );
}

/** The headers a well-behaved identity provider sends, with an occasional odd one. */
function headers(target: FuzzTarget, contentType?: string): fc.Arbitrary<Record<string, string>> {
  const auth = fc.oneof(
    { weight: 30, arbitrary: fc.constant(`Bearer ${target.token}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', `bearer ${target.token}`, `Basic ${target.token}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${target.token.slice(0, -1)}x`) },
  );
  const odd = fc.oneof(
    { weight: 8, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('application/json', '*/*', 'text/html', 'application/xml')
        .map((accept) => ({ accept })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('*', 'W/"1"', 'W/"2"', '"1"', 'garbage', 'W/"999999999999999999999"')
        .map((etag) => ({ 'if-match': etag })),
    },
    { weight: 1, arbitrary: fc.constantFrom('W/"1"', '*', 'nope').map((etag) => ({ 'if-none-match': etag })) },
  );
  return fc.tuple(auth, odd).map(([authorization, extra]) => ({
    authorization,
    ...(contentType ? { 'content-type': contentType } : {}),
    ...extra,
  }));
}

function withBody(
  kind: string,
  method: string,
  path: fc.Arbitrary<string>,
  body: fc.Arbitrary<unknown>,
  target: FuzzTarget,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(path, body, headers(target, SCIM_JSON))
    .map(([p, b, h]) => ({ kind, method, path: p, headers: h, body: json(b) }));
}

/** Bodies that aren't JSON, or are JSON sent in ways the ingress must refuse cleanly. */
function malformedBody(
  target: FuzzTarget,
): fc.Arbitrary<{ kind: string; body: Buffer; headers: Record<string, string> }> {
  const base = { authorization: `Bearer ${target.token}` };
  return fc.oneof(
    userBody.map((body) => {
      const text = JSON.stringify(body) ?? '{';
      return {
        kind: 'truncated json',
        body: Buffer.from(text.slice(0, Math.max(1, text.length - 3))),
        headers: { ...base, 'content-type': SCIM_JSON },
      };
    }),
    fc.string({ maxLength: 80, unit: 'binary' }).map((text) => ({
      kind: 'not json',
      body: Buffer.from(text),
      headers: { ...base, 'content-type': SCIM_JSON },
    })),
    fc
      .constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
      )
      .map((type) => ({
        kind: 'other content type',
        body: json({ userName: 'x' }),
        headers: { ...base, 'content-type': type },
      })),
    fc.constantFrom('latin1', 'utf-16', 'koi8-r', 'nonsense').map((charset) => ({
      kind: 'odd charset',
      body: json({ userName: 'charset@example.com' }),
      headers: { ...base, 'content-type': `${SCIM_JSON}; charset=${charset}` },
    })),
    fc.constantFrom('gzip', 'deflate', 'br', 'compress').map((encoding) => ({
      kind: 'content encoding',
      // Real gzip for `gzip`: it must be read; garbage for the rest.
      body:
        encoding === 'gzip' ? gzipSync(JSON.stringify({ userName: 'gz@example.com' })) : Buffer.from('\u0001\u0002'),
      headers: { ...base, 'content-type': SCIM_JSON, 'content-encoding': encoding },
    })),
    fc.constant({
      kind: 'too large',
      body: Buffer.alloc(target.maxBodyBytes + 1024, 'a'),
      headers: { ...base, 'content-type': SCIM_JSON },
    }),
    fc.constant({ kind: 'empty body', body: Buffer.alloc(0), headers: { ...base, 'content-type': SCIM_JSON } }),
    fc.jsonValue({ maxDepth: 1 }).map((value) => ({
      kind: 'deep json',
      // Nesting JSON.parse accepts but nothing in SCIM needs, where an attribute's value goes.
      body: Buffer.from(
        `{"userName":"deep@example.com","title":${'['.repeat(2_000)}${JSON.stringify(value)}${']'.repeat(2_000)}}`,
      ),
      headers: { ...base, 'content-type': SCIM_JSON },
    })),
  );
}

/** Every kind of request the fuzzer sends, weighted towards what identity providers really do. */
export function fuzzRequest(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const base = target.basePath;
  const user = resourceId(target.userIds).map((id) => `${base}/Users/${id}`);
  const group = resourceId(target.groupIds).map((id) => `${base}/Groups/${id}`);
  const projection = fc
    .record({ attributes: attributePath, excludedAttributes: attributePath }, { requiredKeys: [] })
    .map((query) => queryString(query));
  const memberValue = resourceId([...target.userIds, ...target.groupIds]);
  const groupWithMembers = fc
    .tuple(fc.oneof(wellFormedGroup, groupBody), fc.array(memberValue, { maxLength: 4 }))
    .map(([body, members]) =>
      typeof body === 'object' && body !== null && !Array.isArray(body) && members.length > 0
        ? { ...body, members: members.map((value) => ({ value })) }
        : body,
    );
  const memberPatch = fc
    .array(memberValue, { minLength: 1, maxLength: 3 })
    .chain((members) =>
      fc.constantFrom(
        { op: 'add', path: 'members', value: members.map((value) => ({ value })) },
        { op: 'remove', path: `members[value eq "${members[0] ?? ''}"]` },
        { op: 'remove', path: 'members', value: members.map((value) => ({ value })) },
        { op: 'replace', path: 'members', value: members.map((value) => ({ value })) },
      ),
    );
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc.tuple(fc.constantFrom('Users', 'Groups'), searchQuery, headers(target)).map(([type, query, h]) => ({
        kind: 'list',
        method: 'GET',
        path: `${base}/${type}${queryString(query)}`,
        headers: h,
      })),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.constantFrom('Users', 'Groups'), anyFilter, headers(target)).map(([type, filter, h]) => ({
        kind: 'filter',
        method: 'GET',
        path: `${base}/${type}?filter=${encoded(filter)}`,
        headers: h,
      })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.oneof(user, group), projection, headers(target))
        .map(([path, query, h]) => ({ kind: 'get one', method: 'GET', path: `${path}${query}`, headers: h })),
    },
    { weight: 10, arbitrary: withBody('create user', 'POST', fc.constant(`${base}/Users`), userBody, target) },
    { weight: 4, arbitrary: withBody('create group', 'POST', fc.constant(`${base}/Groups`), groupWithMembers, target) },
    { weight: 6, arbitrary: withBody('replace user', 'PUT', user, userBody, target) },
    { weight: 3, arbitrary: withBody('replace group', 'PUT', group, groupWithMembers, target) },
    { weight: 12, arbitrary: withBody('patch user', 'PATCH', user, patchBody, target) },
    { weight: 4, arbitrary: withBody('patch group', 'PATCH', group, patchBody, target) },
    {
      weight: 4,
      arbitrary: withBody(
        'patch members',
        'PATCH',
        group,
        fc.array(memberPatch, { minLength: 1, maxLength: 3 }).map((Operations) => ({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations,
        })),
        target,
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(user, group), headers(target))
        .map(([path, h]) => ({ kind: 'delete', method: 'DELETE', path, headers: h })),
    },
    {
      weight: 3,
      arbitrary: withBody(
        'search',
        'POST',
        fc.constantFrom(`${base}/.search`, `${base}/Users/.search`, `${base}/Groups/.search`),
        searchBody,
        target,
      ),
    },
    {
      weight: 3,
      arbitrary: withBody(
        'bulk',
        'POST',
        fc.constant(`${base}/Bulk`),
        bulkBody(
          fc.oneof(
            resourceId(target.userIds).map((id) => `/Users/${id}`),
            resourceId(target.groupIds).map((id) => `/Groups/${id}`),
          ),
          memberValue,
        ),
        target,
      ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom('POST', 'PUT', 'PATCH'),
          fc.constantFrom(`${base}/Users`, `${base}/Groups`, `${base}/Bulk`),
          malformedBody(target),
        )
        .map(([method, path, bad]) => ({ kind: bad.kind, method, path, headers: bad.headers, body: bad.body })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('GET', 'OPTIONS', 'HEAD', 'PROPFIND', 'PURGE', 'DELETE', 'PUT', 'M-SEARCH', 'LOCK'),
          fc.constantFrom(
            base,
            `${base}/`,
            `${base}/ServiceProviderConfig`,
            `${base}/ResourceTypes/User`,
            `${base}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`,
            `${base}/Schemas/nope`,
            `${base}/Bulk`,
            `${base}/Users/../Groups`,
            `${base}//Users`,
            `${base}/Users/%E0%A4%A`,
            `${base}/Me`,
            `${base.toUpperCase()}/Users`,
            '/scim/v2/not-a-tenant/Users',
            `/scim/v2/${'a'.repeat(3_000)}/Users`,
            '/admin/tenants',
            '/readyz',
            '/',
          ),
          headers(target),
        )
        .map(([method, path, h]) => ({ kind: 'odd method or path', method, path, headers: h })),
    },
  );
}
