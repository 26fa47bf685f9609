import { Urn } from '../constants';
import { GroupResource, UserResource } from '../schema/resource-type';
import { applyProjection, elementProjection, parseProjection, projects } from './projection';

const user = {
  schemas: [Urn.User, Urn.EnterpriseUser],
  id: 'u1',
  userName: 'alice',
  name: { givenName: 'Alice', familyName: 'Smith' },
  emails: [{ type: 'work', value: 'a@example.com', primary: true }],
  [Urn.EnterpriseUser]: { department: 'Sales', costCenter: 'CC' },
  meta: { resourceType: 'User', version: 'W/"1"' },
};

describe('projection', () => {
  it('keeps only what attributes names, plus id and schemas', () => {
    const projection = parseProjection(
      UserResource,
      ['USERNAME', 'name.givenName', 'emails.value', `${Urn.EnterpriseUser}:department`, 'nonsense'],
      undefined,
    );
    expect(applyProjection(UserResource, user, projection)).toEqual({
      schemas: [Urn.User, Urn.EnterpriseUser],
      id: 'u1',
      userName: 'alice',
      name: { givenName: 'Alice' },
      emails: [{ value: 'a@example.com' }],
      [Urn.EnterpriseUser]: { department: 'Sales' },
    });
  });

  it('drops what excludedAttributes names, never id', () => {
    const projection = parseProjection(UserResource, undefined, ['emails', 'meta.version', 'id', Urn.EnterpriseUser]);
    const out = applyProjection(UserResource, user, projection);
    expect(out).toEqual({
      schemas: [Urn.User],
      id: 'u1',
      userName: 'alice',
      name: user.name,
      meta: { resourceType: 'User' },
    });
  });

  it('tells writers whether to load an attribute and which sub-attributes to keep', () => {
    expect(projects(GroupResource, parseProjection(GroupResource, undefined, ['members']), 'members')).toBe(false);
    expect(projects(GroupResource, parseProjection(GroupResource, ['displayName'], undefined), 'members')).toBe(false);
    expect(projects(GroupResource, parseProjection(GroupResource, undefined, ['members.display']), 'members')).toBe(
      true,
    );
    const keep = elementProjection(parseProjection(GroupResource, ['members.value'], undefined), 'members');
    expect(['value', 'display', 'type'].filter((sub) => keep?.(sub))).toEqual(['value']);
    expect(elementProjection(parseProjection(GroupResource, undefined, undefined), 'members')).toBeUndefined();
  });
});
