import * as fc from 'fast-check';

/**
 * Generators for what identity providers (and attackers) send: filters, PATCH operations and
 * resource bodies. Shared by the property tests of libs/scim and libs/db and by `npm run fuzz`.
 * Each mixes the shapes Entra and Okta really send (../shared/idp-behaviour.md) with near misses
 * and noise, so both the accepting and the refusing paths are exercised.
 */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Attribute paths the grammar allows: real ones in the spellings IdPs use, sub-attributes, extension URNs, unknown names. */
export const knownPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('userName', 'externalId', 'displayName', 'active', 'title', 'nickName') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'name.givenName',
      'name.familyName',
      'name.formatted',
      'emails.value',
      'emails.type',
      'emails.primary',
      'phoneNumbers.value',
      'addresses.locality',
      'roles.value',
      'roles.primary',
      'members.value',
      'members.display',
      'meta.created',
      'meta.lastModified',
      'id',
      'groups.value',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      `${ENTERPRISE}:manager`,
      `${ENTERPRISE}:employeeNumber`,
      `${ENTERPRISE}:department`,
      'urn:ietf:params:scim:schemas:core:2.0:User:userName',
      'urn:ietf:params:scim:schemas:core:2.0:Group:displayName',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('USERNAME', 'Emails.Value', 'unknownAttribute', 'a.b') },
);

/** Attribute paths, and near misses that the grammar refuses. */
export const attributePath: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: knownPath },
  { weight: 1, arbitrary: fc.constantFrom('name.', '.value', 'a.b.c', 'emails[', '1abc', 'urn:', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A SCIM string literal: JSON-quoted, with any text inside (escapes, unicode, quotes). */
const stringLiteral = fc.oneof(
  fc
    .constantFrom('work', 'home', 'True', 'False', 'alice@contoso.com', '', '2026-01-01T00:00:00Z')
    .map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 20, unit: 'grapheme' }).map((s) => JSON.stringify(s)),
);
const compareValue = fc.oneof(
  { weight: 6, arbitrary: stringLiteral },
  { weight: 2, arbitrary: fc.constantFrom('true', 'false', 'null', 'True', 'FALSE') },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map(String) },
);
const comparison = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Eq');

/** Filters from the RFC 7644 §3.4.2.2 grammar: every one of these is syntactically valid. */
export const validFilter: fc.Arbitrary<string> = fc.letrec<{ filter: string; value: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(knownPath, comparison, compareValue).map(([path, op, value]) => `${path} ${op} ${value}`),
    knownPath.map((path) => `${path} pr`),
    fc
      .tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('filter'))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('filter').map((inner) => `(${inner})`),
    tie('filter').map((inner) => `not (${inner})`),
    fc
      .tuple(fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'roles', 'members'), tie('value'))
      .map(([attr, inner]) => `${attr}[${inner}]`),
  ),
  value: fc
    .tuple(fc.constantFrom('type', 'value', 'primary', 'display'), comparison, compareValue)
    .map(([attr, op, value]) => `${attr} ${op} ${value}`),
})).filter;

/** Anything at all where a filter goes: valid ones, valid ones with a character changed, and noise. */
export const anyFilter: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validFilter },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        validFilter,
        fc.nat(),
        fc.constantFrom('"', '(', ')', '[', ']', '\\', ' ', 'eq', 'and', '.', ':', '\u0000'),
      )
      .map(([filter, at, insert]) => {
        const position = at % (filter.length + 1);
        return filter.slice(0, position) + insert + filter.slice(position + 1);
      }),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
);

/** Values IdPs send for attributes: strings (incl. "True"), booleans, numbers, objects, arrays, nulls. */
export const attributeValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom('True', 'False', 'true', true, false, null, '', 0, 1, -1) },
  {
    weight: 2,
    arbitrary: fc.record({ value: fc.string({ maxLength: 20 }), type: fc.constantFrom('work', 'home', 'x') }),
  },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(
        fc.record(
          { value: fc.string({ maxLength: 20 }), primary: fc.constantFrom(true, 'True', false), type: fc.string() },
          { requiredKeys: [] },
        ),
        fc.string({ maxLength: 10 }),
      ),
      { maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.record({ givenName: fc.string(), familyName: fc.anything() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Where a PATCH operation points: attribute paths, value-filtered paths (Entra's roles[primary eq "True"].value) and junk. */
export const patchPath: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 5, arbitrary: attributePath },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'roles', 'members'),
        fc.oneof(validFilter, fc.constantFrom('type eq "work"', 'primary eq "True"', 'value eq "x"')),
        fc.constantFrom('', '.value', '.primary', '.type', '.display', '.streetAddress'),
      )
      .map(([attr, filter, sub]) => `${attr}[${filter}]${sub}`),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: anyFilter },
);

/** One PATCH operation as a client might send it: valid ops in any case, and wrong ones. */
export const patchOperation: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record(
        {
          op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'REPLACE'),
          path: patchPath,
          value: attributeValue,
        },
        { requiredKeys: ['op'] },
      )
      .map((operation) => (operation.path === undefined ? { op: operation.op, value: operation.value } : operation)),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.anything(), path: fc.anything(), value: fc.anything() }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const text = fc.string({ minLength: 1, maxLength: 24 });
const truthy = fc.constantFrom(true, false, 'True', 'False');

/** Operations Entra and Okta really send (idp-behaviour.md): writable paths with values of the right shape. */
export const wellFormedOperation: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    op: fc.constantFrom('Replace', 'replace', 'Add', 'add'),
    path: fc.constantFrom('displayName', 'title', 'nickName', 'externalId', 'name.givenName', 'name.familyName'),
    value: text,
  }),
  fc.record({ op: fc.constantFrom('Replace', 'replace'), path: fc.constant('active'), value: truthy }),
  fc.record({
    op: fc.constantFrom('Add', 'Replace'),
    path: fc.constantFrom(
      'emails[type eq "work"].value',
      'phoneNumbers[type eq "mobile"].value',
      'roles[primary eq "True"].value',
      'addresses[type eq "work"].locality',
      `${ENTERPRISE}:department`,
      `${ENTERPRISE}:employeeNumber`,
    ),
    value: text,
  }),
  fc.record({ op: fc.constant('Add'), path: fc.constant(`${ENTERPRISE}:manager`), value: text }),
  fc.record({
    op: fc.constantFrom('Remove', 'remove'),
    path: fc.constantFrom(
      'title',
      'nickName',
      'name.givenName',
      'emails[type eq "work"]',
      'roles',
      `${ENTERPRISE}:manager`,
    ),
  }),
  fc.record({
    op: fc.constant('replace'),
    value: fc.record({ active: truthy, displayName: text, title: text }, { requiredKeys: [] }),
  }),
);

/** A PATCH request body: PatchOp-shaped mostly, sometimes not. */
export const patchBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(wellFormedOperation, { minLength: 1, maxLength: 5 }).map((Operations) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations,
    })),
  },
  {
    weight: 8,
    arbitrary: fc.array(fc.oneof(wellFormedOperation, patchOperation), { maxLength: 5 }).map((Operations) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations,
    })),
  },
  { weight: 1, arbitrary: fc.record({ schemas: fc.anything(), Operations: fc.anything() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const userKey = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'userName',
      'externalId',
      'active',
      'displayName',
      'name',
      'emails',
      'phoneNumbers',
      'roles',
      'title',
      'password',
      'id',
      'meta',
      'groups',
      'schemas',
      ENTERPRISE,
      'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User',
      'UserName',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A user as Entra or Okta creates one. */
export const wellFormedUser: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    schemas: fc.constant(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]),
    userName: text,
    externalId: text,
    active: truthy,
    displayName: text,
    name: fc.record({ givenName: text, familyName: text, formatted: text }, { requiredKeys: [] }),
    emails: fc.array(fc.record({ type: fc.constantFrom('work', 'home'), value: text, primary: fc.boolean() }), {
      maxLength: 2,
    }),
    roles: fc.array(fc.record({ value: text, primary: truthy }, { requiredKeys: ['value'] }), { maxLength: 2 }),
    password: text,
    [ENTERPRISE]: fc.record({ department: text, manager: fc.record({ value: text }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['userName'] },
);

/** A POST/PUT body for /Users: the keys IdPs send, with any values, and some other keys. */
export const userBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: wellFormedUser },
  { weight: 8, arbitrary: fc.dictionary(userKey, attributeValue, { maxKeys: 8 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.dictionary(userKey, attributeValue, { maxKeys: 4 }))
      .map(([userName, rest]) => ({ ...rest, userName })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A group as Entra or Okta creates one (members are added by the caller, who knows the ids). */
export const wellFormedGroup: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    schemas: fc.constant(['urn:ietf:params:scim:schemas:core:2.0:Group']),
    displayName: text,
    externalId: text,
  },
  { requiredKeys: ['displayName'] },
);

/** A POST/PUT body for /Groups. */
export const groupBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.dictionary(
      fc.constantFrom('displayName', 'externalId', 'members', 'schemas', 'id', 'DisplayName', 'owner'),
      fc.oneof(attributeValue, fc.array(fc.record({ value: fc.uuid(), type: fc.constantFrom('User', 'Group') }))),
      { maxKeys: 5 },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const searchParameter = fc.constantFrom(
  'filter',
  'sortBy',
  'sortOrder',
  'startIndex',
  'count',
  'cursor',
  'attributes',
  'excludedAttributes',
  'Filter',
  'unknown',
);
const searchParameterValue = fc.oneof(
  anyFilter,
  attributePath,
  fc.constantFrom('ascending', 'descending', '1', '0', '-1', '1000000', '1e3', '', ' ', '2.5', 'NaN'),
  fc.integer().map(String),
);

/** A query parameter as Express's parser hands it over: a string, an array (repeated), an object (`a[b]=c`). */
export type QueryValue = string | readonly string[] | Readonly<Record<string, string>>;

/** Query strings of list and search requests, as Express parses them. */
export const searchQuery: fc.Arbitrary<Record<string, QueryValue>> = fc.dictionary(
  searchParameter,
  fc.oneof(
    { weight: 6, arbitrary: searchParameterValue },
    { weight: 1, arbitrary: fc.array(searchParameterValue, { minLength: 2, maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), searchParameterValue, { maxKeys: 2 }),
    },
  ),
  { maxKeys: 5 },
);

/** A POST …/.search body: SearchRequest-shaped, with any values. */
export const searchBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(searchParameter, fc.oneof(searchParameterValue, fc.integer(), fc.array(attributePath)), {
    maxKeys: 5,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);

const BULK_IDS = ['b0', 'b1', 'b2'];
/** A member naming a resource created in the same bulk request, or one that exists. */
const bulkMember = (ids: fc.Arbitrary<string>) =>
  fc.record({ value: fc.oneof(fc.constantFrom(...BULK_IDS.map((id) => `bulkId:${id}`), 'bulkId:undefined'), ids) });

/**
 * A POST /Bulk body (RFC 7644 §3.7): operations of every method on real and bulkId paths, data
 * that references each other's bulkIds, and envelopes that are wrong in each way one can be.
 * `paths`: `/Users/{id}` and `/Groups/{id}` of resources the caller knows exist.
 */
export function bulkBody(paths: fc.Arbitrary<string>, ids: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const path = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('/Users', '/Groups') },
    { weight: 3, arbitrary: paths },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...BULK_IDS.flatMap((id) => [`/Users/bulkId:${id}`, `/Groups/bulkId:${id}`])),
    },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('/Users/', '/Schemas', 'Users', '/Users/%zz', ''), fc.string()) },
  );
  const data = fc.oneof(
    userBody,
    fc
      .tuple(wellFormedGroup, fc.array(bulkMember(ids), { maxLength: 3 }))
      .map(([group, members]) => ({ ...group, members })),
    patchBody,
    fc.array(bulkMember(ids), { minLength: 1, maxLength: 2 }).map((value) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value }],
    })),
  );
  const version = fc.oneof(fc.constant('W/"1"'), fc.string({ minLength: 1, maxLength: 8 }));
  const wellFormed = fc.oneof(
    fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/Users', '/Groups'), data }),
    fc.record(
      {
        method: fc.constantFrom('PUT', 'PATCH', 'DELETE'),
        path: fc.oneof(
          { weight: 8, arbitrary: paths },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...BULK_IDS.flatMap((id) => [`/Users/bulkId:${id}`, `/Groups/bulkId:${id}`])),
          },
        ),
        data,
        version,
      },
      { requiredKeys: ['method', 'path', 'data'] },
    ),
  );
  const malformed = fc.record(
    {
      method: fc.oneof(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'), fc.constantFrom('post', 'GET', 'Patch', '')),
      path,
      bulkId: fc.oneof(fc.constantFrom(...BULK_IDS), fc.constantFrom('', 'x y'), fc.integer()),
      version,
      data: fc.oneof(data, fc.anything()),
    },
    { requiredKeys: ['method', 'path'] },
  );
  // POSTs get the bulkIds b0, b1... in order, so most requests are well formed and their references resolve.
  const operations = fc
    .array(fc.oneof({ weight: 12, arbitrary: wellFormed }, { weight: 1, arbitrary: malformed }), {
      minLength: 1,
      maxLength: 6,
    })
    .map((list) =>
      list.map((operation, index) =>
        operation.method === 'POST' && !('bulkId' in operation) ? { ...operation, bulkId: `b${index}` } : operation,
      ),
    );
  const request = fc.record(
    {
      schemas: fc.oneof(
        { weight: 20, arbitrary: fc.constant(['urn:ietf:params:scim:api:messages:2.0:BulkRequest']) },
        { weight: 1, arbitrary: fc.anything() },
      ),
      failOnErrors: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, -1, '1', 1.5, null) },
      ),
      Operations: fc.oneof({ weight: 20, arbitrary: operations }, { weight: 1, arbitrary: fc.anything() }),
    },
    { requiredKeys: ['schemas', 'Operations'] },
  );
  return fc.oneof({ weight: 20, arbitrary: request }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
}
