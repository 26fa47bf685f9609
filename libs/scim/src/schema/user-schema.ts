import { Urn } from '../constants';
import { attribute, complex, MAX_INDEXED_LENGTH, multiValuedComplex, type SchemaDefinition } from './attribute';

/** RFC 7643 §4.1 and §8.7.1. */
export const userSchema: SchemaDefinition = {
  id: Urn.User,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'string', {
      required: true,
      maxLength: MAX_INDEXED_LENGTH,
      uniqueness: 'server',
      description:
        'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.',
    }),
    complex(
      'name',
      [
        attribute('formatted', 'string', {
          description: 'The full name, including all middle names, titles, and suffixes.',
        }),
        attribute('familyName', 'string', { description: 'The family name of the User.' }),
        attribute('givenName', 'string', { description: 'The given name of the User.' }),
        attribute('middleName', 'string', { description: 'The middle name(s) of the User.' }),
        attribute('honorificPrefix', 'string', { description: 'The honorific prefix(es) of the User.' }),
        attribute('honorificSuffix', 'string', { description: 'The honorific suffix(es) of the User.' }),
      ],
      { description: "The components of the user's real name." },
    ),
    attribute('displayName', 'string', { description: 'The name of the User, suitable for display to end-users.' }),
    attribute('nickName', 'string', { description: 'The casual way to address the user in real life.' }),
    attribute('profileUrl', 'reference', {
      referenceTypes: ['external'],
      description: "A fully qualified URL pointing to the User's online profile.",
    }),
    attribute('title', 'string', { description: "The user's title, such as 'Vice President'." }),
    attribute('userType', 'string', {
      description: 'Used to identify the relationship between the organization and the user.',
    }),
    attribute('preferredLanguage', 'string', {
      description: "Indicates the User's preferred written or spoken language.",
    }),
    attribute('locale', 'string', { description: "Used to indicate the User's default location for localization." }),
    attribute('timezone', 'string', { description: "The User's time zone in the 'Olson' time zone database format." }),
    attribute('active', 'boolean', { description: "A Boolean value indicating the User's administrative status." }),
    attribute('password', 'string', {
      mutability: 'writeOnly',
      returned: 'never',
      description: "The User's cleartext password. Accepted and discarded: scimflow never stores or returns it.",
    }),
    multiValuedComplex('emails', 'Email addresses for the user.', {
      types: ['work', 'home', 'other'],
      valueMaxLength: MAX_INDEXED_LENGTH,
    }),
    multiValuedComplex('phoneNumbers', 'Phone numbers for the User.', {
      types: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValuedComplex('ims', 'Instant messaging addresses for the User.', {
      types: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValuedComplex('photos', 'URLs of photos of the User.', {
      types: ['photo', 'thumbnail'],
      valueType: 'reference',
      referenceTypes: ['external'],
    }),
    complex(
      'addresses',
      [
        attribute('formatted', 'string', { description: 'The full mailing address, formatted for display.' }),
        attribute('streetAddress', 'string', { description: 'The full street address component.' }),
        attribute('locality', 'string', { description: 'The city or locality component.' }),
        attribute('region', 'string', { description: 'The state or region component.' }),
        attribute('postalCode', 'string', { description: 'The zip code or postal code component.' }),
        attribute('country', 'string', { description: 'The country name component.' }),
        attribute('type', 'string', {
          canonicalValues: ['work', 'home', 'other'],
          description: 'A label indicating the function of the address.',
        }),
        attribute('primary', 'boolean', { description: 'Indicates the preferred mailing address.' }),
      ],
      { multiValued: true, description: 'A physical mailing address for this User.' },
    ),
    complex(
      'groups',
      [
        attribute('value', 'string', { mutability: 'readOnly', description: 'The identifier of the group.' }),
        attribute('$ref', 'reference', {
          mutability: 'readOnly',
          referenceTypes: ['Group'],
          description: 'The URI of the group.',
        }),
        attribute('display', 'string', { mutability: 'readOnly', description: 'The display name of the group.' }),
        attribute('type', 'string', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
          description: 'Direct or indirect membership.',
        }),
      ],
      {
        multiValued: true,
        mutability: 'readOnly',
        description: 'A list of groups to which the user belongs. Derived from group memberships.',
      },
    ),
    multiValuedComplex('entitlements', 'A list of entitlements for the User.'),
    multiValuedComplex('roles', 'A list of roles for the User.'),
    multiValuedComplex('x509Certificates', 'A list of certificates issued to the User.', { valueType: 'binary' }),
  ],
};

/** RFC 7643 §4.3. */
export const enterpriseUserSchema: SchemaDefinition = {
  id: Urn.EnterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attribute('employeeNumber', 'string', { description: 'Numeric or alphanumeric identifier assigned to a person.' }),
    attribute('costCenter', 'string', { description: 'Identifies the name of a cost center.' }),
    attribute('organization', 'string', { description: 'Identifies the name of an organization.' }),
    attribute('division', 'string', { description: 'Identifies the name of a division.' }),
    attribute('department', 'string', { description: 'Identifies the name of a department.' }),
    complex(
      'manager',
      [
        attribute('value', 'string', { description: "The id of the SCIM resource representing the User's manager." }),
        attribute('$ref', 'reference', {
          referenceTypes: ['User'],
          description: "The URI of the SCIM resource representing the User's manager.",
        }),
        attribute('displayName', 'string', {
          mutability: 'readOnly',
          description: "The displayName of the User's manager.",
        }),
      ],
      { description: "The User's manager." },
    ),
  ],
};
