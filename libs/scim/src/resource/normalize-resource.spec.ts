import { Urn } from '../constants';
import { ScimError } from '../errors';
import { UserResource } from '../schema/resource-type';
import { normalizeResource } from './normalize-resource';
import { renderResource } from './render-resource';

function scimErrorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

const entraCreate = {
  schemas: [Urn.User, Urn.EnterpriseUser],
  externalId: 'a3b1c2',
  userName: 'Test_User_ab6490ee@contoso.com',
  active: true,
  displayName: 'Test User',
  preferredLanguage: 'en-US',
  emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@contoso.com' }],
  name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
  roles: [],
  nickName: null,
  [Urn.EnterpriseUser]: { department: 'Sales', manager: null },
};

describe('normalizeResource', () => {
  it("keeps Entra's create body exactly as sent, minus nulls and empty lists", () => {
    const doc = normalizeResource(UserResource, entraCreate);
    expect(doc).toEqual({
      externalId: 'a3b1c2',
      userName: 'Test_User_ab6490ee@contoso.com',
      active: true,
      displayName: 'Test User',
      preferredLanguage: 'en-US',
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@contoso.com' }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      [Urn.EnterpriseUser]: { department: 'Sales' },
    });
  });

  it("drops Okta's password and read-only groups, and canonicalises attribute names", () => {
    const doc = normalizeResource(UserResource, {
      USERNAME: 'bob',
      Password: 'secret',
      groups: [],
      id: 'client-id',
      meta: {},
      Active: 'True',
    });
    expect(doc).toEqual({ userName: 'bob', active: true });
  });

  it('ignores extension schemas it does not know', () => {
    const doc = normalizeResource(UserResource, {
      userName: 'x',
      'urn:ietf:params:scim:schemas:extension:acme:2.0:User': { badge: 1 },
    });
    expect(doc).toEqual({ userName: 'x' });
  });

  it.each([
    [[], 'invalidSyntax'],
    [{ displayName: 'no user name' }, 'invalidValue'],
    [{ userName: '' }, 'invalidValue'],
    [{ userName: 42 }, 'invalidValue'],
    [{ userName: true }, 'invalidValue'],
    [{ userName: 'x', active: 'yes' }, 'invalidValue'],
    [
      {
        userName: 'x',
        emails: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      },
      'invalidValue',
    ],
    [{ userName: 'x', emails: [{ value: 'a', colour: 'red' }] }, 'invalidValue'],
    [{ userName: 'x', favouriteColour: 'red' }, 'invalidValue'],
    [{ userName: 'x', name: 'Alice' }, 'invalidValue'],
    [{ userName: 'x', schemas: 'urn' }, 'invalidSyntax'],
    [{ userName: 'nul\u0000@example.com' }, 'invalidValue'],
    [{ userName: 'x', displayName: 'lone \ud800 surrogate' }, 'invalidValue'],
  ])('rejects %j with %s', (body, scimType) => {
    const error = scimErrorOf(() => normalizeResource(UserResource, body));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
  });
});

describe('renderResource', () => {
  it('writes schemas, meta and the extension, and never a password', () => {
    const data = { ...normalizeResource(UserResource, entraCreate), password: 'leaked?' };
    const out = renderResource(
      UserResource,
      { id: 'u1', data, version: 3, created: '2026-01-01T00:00:00.000Z', lastModified: '2026-01-02T00:00:00.000Z' },
      'https://scim.example/scim/v2/t1',
    );
    expect(out.schemas).toEqual([Urn.User, Urn.EnterpriseUser]);
    expect(out.meta).toEqual({
      resourceType: 'User',
      created: '2026-01-01T00:00:00.000Z',
      lastModified: '2026-01-02T00:00:00.000Z',
      location: 'https://scim.example/scim/v2/t1/Users/u1',
      version: 'W/"3"',
    });
    expect(out.password).toBeUndefined();
    expect(Object.keys(out).slice(0, 4)).toEqual(['schemas', 'id', 'externalId', 'userName']);
  });
});
