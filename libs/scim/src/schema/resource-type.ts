import {
  attribute,
  complex,
  indexByName,
  MAX_INDEXED_LENGTH,
  type AttributeDefinition,
  type SchemaDefinition,
} from './attribute';
import { groupSchema } from './group-schema';
import { enterpriseUserSchema, userSchema } from './user-schema';

/** RFC 7643 §3.1: attributes every resource has, outside any schema's attribute list. */
export const commonAttributes: readonly AttributeDefinition[] = [
  attribute('id', 'string', {
    mutability: 'readOnly',
    returned: 'always',
    caseExact: true,
    uniqueness: 'server',
    description: 'Unique identifier assigned by the service provider.',
  }),
  attribute('externalId', 'string', {
    caseExact: true,
    maxLength: MAX_INDEXED_LENGTH,
    description: 'Identifier of the resource as defined by the provisioning client.',
  }),
  complex(
    'meta',
    [
      attribute('resourceType', 'string', { mutability: 'readOnly', caseExact: true }),
      attribute('created', 'dateTime', { mutability: 'readOnly' }),
      attribute('lastModified', 'dateTime', { mutability: 'readOnly' }),
      attribute('location', 'reference', { mutability: 'readOnly', referenceTypes: ['uri'] }),
      attribute('version', 'string', { mutability: 'readOnly', caseExact: true }),
    ],
    { mutability: 'readOnly', description: 'Resource metadata.' },
  ),
];

export interface ResourceType {
  readonly name: 'User' | 'Group';
  readonly endpoint: string;
  readonly schema: SchemaDefinition;
  readonly extensions: readonly { readonly schema: SchemaDefinition; readonly required: boolean }[];
  /** Core + common attributes by lower-cased name. */
  readonly coreAttributes: ReadonlyMap<string, AttributeDefinition>;
  /** Lower-cased schema URN -> that schema's attributes by lower-cased name. */
  readonly extensionAttributes: ReadonlyMap<
    string,
    { readonly urn: string; readonly attributes: ReadonlyMap<string, AttributeDefinition> }
  >;
}

function resourceType(
  name: ResourceType['name'],
  endpoint: string,
  schema: SchemaDefinition,
  extensions: SchemaDefinition[],
): ResourceType {
  return {
    name,
    endpoint,
    schema,
    extensions: extensions.map((ext) => ({ schema: ext, required: false })),
    coreAttributes: indexByName([...commonAttributes, ...schema.attributes]),
    extensionAttributes: new Map(
      extensions.map((ext) => [ext.id.toLowerCase(), { urn: ext.id, attributes: indexByName(ext.attributes) }]),
    ),
  };
}

export const UserResource = resourceType('User', '/Users', userSchema, [enterpriseUserSchema]);
export const GroupResource = resourceType('Group', '/Groups', groupSchema, []);
export const resourceTypes: readonly ResourceType[] = [UserResource, GroupResource];

export function isCoreSchema(resource: ResourceType, urn: string): boolean {
  return resource.schema.id.toLowerCase() === urn.toLowerCase();
}

/** Looks a sub-attribute up by name, case-insensitively. */
export function findSubAttribute(parent: AttributeDefinition, name: string): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return parent.subAttributes?.find((sub) => sub.name.toLowerCase() === lower);
}
