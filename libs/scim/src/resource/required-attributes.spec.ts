import { Urn } from '../constants';
import { UserResource } from '../schema/resource-type';
import { missingAttributes, parseRequiredAttribute } from './required-attributes';

const twingate = [
  'externalId',
  'userName',
  'active',
  'emails[type eq "work"].value',
  'name.givenName',
  'name.familyName',
].map((path) => parseRequiredAttribute(UserResource, path));

describe('required attributes (tenant profiles)', () => {
  it("checks Twingate's required user attributes, filtered paths included", () => {
    const complete = {
      externalId: 'x',
      userName: 'u',
      active: true,
      emails: [{ type: 'work', value: 'u@example.com' }],
      name: { givenName: 'U', familyName: 'V' },
    };
    expect(missingAttributes(complete, twingate)).toEqual([]);
    const homeOnly = { ...complete, emails: [{ type: 'home', value: 'u@home.example' }], name: { givenName: ' ' } };
    expect(missingAttributes(homeOnly, twingate)).toEqual([
      'emails[type eq "work"].value',
      'name.givenName',
      'name.familyName',
    ]);
  });

  it('resolves enterprise paths and refuses paths that name nothing a client sets', () => {
    const department = parseRequiredAttribute(UserResource, `${Urn.EnterpriseUser}:department`);
    expect(missingAttributes({ [Urn.EnterpriseUser]: { department: 'R&D' } }, [department])).toEqual([]);
    for (const path of ['shoeSize', 'id', 'groups', 'displayName[type eq "x"]', 'emails[nope eq "x"]']) {
      expect(() => parseRequiredAttribute(UserResource, path)).toThrow(
        expect.objectContaining({ status: 400, scimType: 'invalidValue' }),
      );
    }
  });
});
