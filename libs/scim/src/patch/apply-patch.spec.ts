import { Urn, type JsonValue, type ScimDocument } from '../constants';
import { ScimError } from '../errors';
import { UserResource } from '../schema/resource-type';
import { applyPatch } from './apply-patch';
import { compilePatch } from './compile-patch';
import { parsePatchRequest } from './parse-patch-request';

const ENT = Urn.EnterpriseUser;

function patch(doc: ScimDocument, operations: JsonValue[]) {
  const ops = compilePatch(UserResource, parsePatchRequest({ schemas: [Urn.PatchOp], Operations: operations }));
  return applyPatch(UserResource, doc, ops);
}

function scimErrorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

const alice: ScimDocument = {
  userName: 'alice@contoso.com',
  externalId: 'alice',
  active: true,
  displayName: 'Alice',
  name: { givenName: 'Alice', familyName: 'Smith' },
  emails: [{ type: 'work', value: 'alice@contoso.com', primary: true }],
};

describe('applyPatch: Entra ID shapes', () => {
  it('accepts capitalised ops and "False" strings', () => {
    const { doc, changed } = patch(alice, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(doc.active).toBe(false);
    expect(changed).toBe(true);
  });

  it('replaces a filtered sub-attribute in place', () => {
    const { doc } = patch(alice, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@fabrikam.com' },
    ]);
    expect(doc.emails).toEqual([{ type: 'work', value: 'alice@fabrikam.com', primary: true }]);
  });

  it('creates the element when a filtered path matches nothing', () => {
    const { doc } = patch({ userName: 'bob' }, [
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'bob@contoso.com' },
    ]);
    expect(doc.emails).toEqual([{ type: 'work', value: 'bob@contoso.com' }]);
  });

  it("gives an element made from a filter the sub-attributes' types (Entra's app-role mapping)", () => {
    const { doc } = patch({ userName: 'bob', roles: [] }, [
      { op: 'add', path: 'roles[primary eq "True"].value', value: 'Contributor' },
    ]);
    expect(doc.roles).toEqual([{ primary: true, value: 'Contributor' }]);
    expect(
      scimErrorOf(() =>
        patch({ userName: 'bob' }, [{ op: 'add', path: 'roles[primary eq "maybe"].value', value: 'x' }]),
      ).scimType,
    ).toBe('invalidValue');
  });

  it('applies a no-path replace with dotted keys', () => {
    const { doc } = patch(alice, [
      { op: 'replace', value: { displayName: 'Al', 'name.givenName': 'Al', active: false } },
    ]);
    expect(doc).toMatchObject({ displayName: 'Al', name: { givenName: 'Al', familyName: 'Smith' }, active: false });
  });

  it('sets enterprise attributes by URN path, and manager from a bare id or an object', () => {
    let { doc } = patch(alice, [
      { op: 'Add', path: `${ENT}:department`, value: 'Sales' },
      { op: 'Add', path: `${ENT}:manager`, value: 'f2a6d0e2' },
    ]);
    expect(doc[ENT]).toEqual({ department: 'Sales', manager: { value: 'f2a6d0e2' } });
    ({ doc } = patch(doc, [{ op: 'replace', path: `${ENT}:manager`, value: { value: '9c11' } }]));
    expect(doc[ENT]).toEqual({ department: 'Sales', manager: { value: '9c11' } });
    ({ doc } = patch(doc, [{ op: 'Remove', path: `${ENT}:manager` }]));
    expect(doc[ENT]).toEqual({ department: 'Sales' });
  });

  it('replaces name.givenName and userName by path', () => {
    const { doc } = patch(alice, [
      { op: 'Replace', path: 'name.givenName', value: 'Alicia' },
      { op: 'Replace', path: 'userName', value: 'alicia@contoso.com' },
    ]);
    expect(doc).toMatchObject({ userName: 'alicia@contoso.com', name: { givenName: 'Alicia', familyName: 'Smith' } });
  });

  it('treats a null value as removal', () => {
    const { doc } = patch(alice, [{ op: 'Replace', path: 'displayName', value: null }]);
    expect(doc.displayName).toBeUndefined();
  });
});

describe('applyPatch: Okta shapes', () => {
  it('deactivates with a no-path replace', () => {
    const { doc } = patch(alice, [{ op: 'replace', value: { active: false } }]);
    expect(doc.active).toBe(false);
  });

  it('accepts a password and never stores it', () => {
    const { doc, changed } = patch(alice, [
      { op: 'replace', value: { password: 'hunter2!' } },
      { op: 'replace', path: 'password', value: 'x' },
    ]);
    expect(JSON.stringify(doc)).not.toContain('hunter2');
    expect(changed).toBe(false);
  });

  it('sets an enterprise attribute through a nested extension object', () => {
    const { doc } = patch(alice, [
      { op: 'replace', value: { [ENT]: { employeeNumber: '1234', manager: { value: 'm1' } } } },
    ]);
    expect(doc[ENT]).toEqual({ employeeNumber: '1234', manager: { value: 'm1' } });
  });
});

describe('applyPatch: RFC 7644 semantics', () => {
  it('adds to a multi-valued attribute without duplicating, and moves primary', () => {
    const { doc } = patch(alice, [
      { op: 'add', path: 'emails', value: [{ type: 'home', value: 'a@home.example', primary: true }] },
      { op: 'add', path: 'emails', value: [{ type: 'home', value: 'a@home.example', primary: true }] },
    ]);
    expect(doc.emails).toEqual([
      { type: 'work', value: 'alice@contoso.com', primary: false },
      { type: 'home', value: 'a@home.example', primary: true },
    ]);
  });

  it('removes filtered elements, and specific values', () => {
    const withPhones = {
      ...alice,
      phoneNumbers: [
        { type: 'work', value: '1' },
        { type: 'mobile', value: '2' },
      ],
    };
    expect(patch(withPhones, [{ op: 'remove', path: 'phoneNumbers[type eq "mobile"]' }]).doc.phoneNumbers).toEqual([
      { type: 'work', value: '1' },
    ]);
    expect(
      patch(withPhones, [{ op: 'remove', path: 'phoneNumbers', value: [{ value: '1' }] }]).doc.phoneNumbers,
    ).toEqual([{ type: 'mobile', value: '2' }]);
    expect(patch(withPhones, [{ op: 'remove', path: 'phoneNumbers' }]).doc.phoneNumbers).toBeUndefined();
  });

  it('merges complex values on replace, leaving unnamed sub-attributes alone', () => {
    const { doc } = patch(alice, [{ op: 'replace', path: 'name', value: { givenName: 'A' } }]);
    expect(doc.name).toEqual({ givenName: 'A', familyName: 'Smith' });
  });

  it('reports no change for a patch that changes nothing', () => {
    expect(patch(alice, [{ op: 'replace', path: 'displayName', value: 'Alice' }]).changed).toBe(false);
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const before = structuredClone(alice);
    expect(() =>
      patch(alice, [
        { op: 'replace', path: 'displayName', value: 'X' },
        { op: 'remove', path: 'userName' },
      ]),
    ).toThrow(ScimError);
    expect(alice).toEqual(before);
  });

  it.each([
    [{ op: 'replace', path: 'nickname.x', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'doesNotExist', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', value: { doesNotExist: 'x' } }, 'invalidPath'],
    [{ op: 'replace', path: 'id', value: 'x' }, 'mutability'],
    [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }, 'mutability'],
    [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }, 'mutability'],
    [{ op: 'remove' }, 'noTarget'],
    [{ op: 'move', path: 'userName' }, 'invalidSyntax'],
    [{ op: 'replace', path: 'active', value: 'maybe' }, 'invalidValue'],
    [{ op: 'replace', path: 'emails', value: 'x' }, 'invalidValue'],
    [{ op: 'replace', path: 'displayName' }, 'invalidValue'],
    [{ op: 'replace', path: 'userName', value: '   ' }, 'invalidValue'],
    [{ op: 'replace', path: 'emails[type ne "work"].value', value: 'x' }, 'noTarget'],
    [{ op: 'replace', path: 'displayName[type eq "x"]', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'emails[nope eq "x"].value', value: 'x' }, 'invalidPath'],
  ])('rejects %j with %s', (operation, scimType) => {
    const withWork = { ...alice, emails: [{ type: 'work', value: 'w' }] };
    const error = scimErrorOf(() => patch(withWork, [operation]));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
  });

  it('rejects a malformed envelope', () => {
    expect(scimErrorOf(() => parsePatchRequest({ Operations: [] })).scimType).toBe('invalidSyntax');
    expect(
      scimErrorOf(() => parsePatchRequest({ schemas: ['urn:x'], Operations: [{ op: 'add', value: {} }] })).scimType,
    ).toBe('invalidSyntax');
    expect(scimErrorOf(() => parsePatchRequest([])).scimType).toBe('invalidSyntax');
  });
});
