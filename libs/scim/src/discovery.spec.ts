import { resourceTypeDocument, schemaDocuments, serviceProviderConfig } from './discovery';
import { parseRequiredAttribute } from './resource/required-attributes';
import { UserResource, GroupResource } from './schema/resource-type';
import { userSchema } from './schema/user-schema';

const base = 'https://scim.example/scim/v2/t1';

describe('discovery documents', () => {
  it('describe every attribute the validator knows, characteristics included', () => {
    const [user] = schemaDocuments(base);
    expect((user?.attributes as unknown[]).length).toBe(userSchema.attributes.length);
    const emails = (user?.attributes as Record<string, unknown>[]).find((a) => a.name === 'emails');
    expect(emails).toMatchObject({
      type: 'complex',
      multiValued: true,
      subAttributes: expect.arrayContaining([expect.objectContaining({ name: 'primary', type: 'boolean' })]),
    });
    expect(user?.meta).toEqual({
      resourceType: 'Schema',
      location: `${base}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`,
    });
  });

  it("mark a tenant's required attributes required", () => {
    const required = [
      parseRequiredAttribute(UserResource, 'title'),
      parseRequiredAttribute(UserResource, 'name.givenName'),
    ];
    const [user] = schemaDocuments(base, (resource) => (resource === UserResource ? required : []));
    const flags = Object.fromEntries(
      (user?.attributes as { name: string; required: boolean }[]).map((a) => [a.name, a.required]),
    );
    expect(flags).toMatchObject({ title: true, name: true, nickName: false, userName: true });
  });

  it('advertise cursor and index paging and the real limits', () => {
    expect(serviceProviderConfig(base, { maxOperations: 10, maxPayloadSize: 2048 })).toMatchObject({
      bulk: { supported: true, maxOperations: 10, maxPayloadSize: 2048 },
      pagination: { cursor: true, index: true, defaultPaginationMethod: 'index' },
    });
    expect(resourceTypeDocument(GroupResource, base)).toMatchObject({
      id: 'Group',
      schemaExtensions: [],
      meta: { location: `${base}/ResourceTypes/Group` },
    });
  });
});
