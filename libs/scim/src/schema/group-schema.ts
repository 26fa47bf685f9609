import { Urn } from '../constants';
import { attribute, complex, MAX_INDEXED_LENGTH, type SchemaDefinition } from './attribute';

/**
 * RFC 7643 §4.2 and §8.7.1. displayName is required (§4.2 says so; the §8.7.1 listing's
 * `"required": false` is a known inconsistency) and unique per tenant in scimflow.
 */
export const groupSchema: SchemaDefinition = {
  id: Urn.Group,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'string', {
      required: true,
      maxLength: MAX_INDEXED_LENGTH,
      uniqueness: 'server',
      description: 'A human-readable name for the Group. Unique within a tenant, case-insensitively.',
    }),
    complex(
      'members',
      [
        attribute('value', 'string', {
          mutability: 'immutable',
          description: 'Identifier of the member of this Group.',
        }),
        attribute('$ref', 'reference', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
          description: 'The URI corresponding to a SCIM resource that is a member of this Group.',
        }),
        attribute('type', 'string', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
          description: 'The type of the member: User or Group.',
        }),
        attribute('display', 'string', {
          mutability: 'readOnly',
          description: "The member's displayName (a User's falls back to its userName).",
        }),
      ],
      { multiValued: true, description: 'A list of members of the Group.' },
    ),
  ],
};
