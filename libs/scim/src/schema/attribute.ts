/** RFC 7643 §7: the characteristics every attribute definition carries. */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDefinition[];
  /** Longest string value accepted, in characters (default MAX_TEXT_LENGTH). */
  readonly maxLength?: number;
}

/**
 * Longest value of an indexed string (userName, externalId, a group's displayName, email
 * values), in characters. A b-tree or GIN entry must fit a third of an 8 kB page (~2,700 bytes,
 * "index row size exceeds maximum" otherwise); 512 characters of UTF-8 stay under that even at
 * 4 bytes each, lower-cased. UPNs and email addresses are far shorter (RFC 5321: 254).
 */
export const MAX_INDEXED_LENGTH = 512;
/** Longest value of any other string attribute, in characters. */
export const MAX_TEXT_LENGTH = 4096;
/** Longest binary (base64) value, e.g. an x509 certificate, in characters. */
export const MAX_BINARY_LENGTH = 16_384;

export interface SchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type'>>;

/** Builds a definition with RFC 7643 §2.2 defaults, so schema files list only what differs. */
export function attribute(name: string, type: AttributeType, options: AttributeOptions = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

export function complex(
  name: string,
  subAttributes: AttributeDefinition[],
  options: AttributeOptions = {},
): AttributeDefinition {
  return attribute(name, 'complex', { ...options, subAttributes });
}

/** The value/display/type/primary shape shared by emails, phoneNumbers, ims, photos, roles... (RFC 7643 §2.4). */
export function multiValuedComplex(
  name: string,
  description: string,
  options: {
    types?: string[];
    valueType?: AttributeType;
    valueRequired?: boolean;
    referenceTypes?: string[];
    valueMaxLength?: number;
  } = {},
): AttributeDefinition {
  const valueOptions: AttributeOptions = {
    description: `The value of ${name}.`,
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
    ...(options.valueMaxLength ? { maxLength: options.valueMaxLength } : {}),
  };
  const typeOptions: AttributeOptions = {
    description: 'A label indicating the function of the value.',
    ...(options.types ? { canonicalValues: options.types } : {}),
  };
  return complex(
    name,
    [
      attribute('value', options.valueType ?? 'string', valueOptions),
      attribute('display', 'string', { description: 'A human-readable name, primarily used for display purposes.' }),
      attribute('type', 'string', typeOptions),
      attribute('primary', 'boolean', { description: 'Indicates the preferred value of the attribute.' }),
    ],
    { multiValued: true, description },
  );
}

/** Lower-cased name -> definition, because SCIM attribute names are case-insensitive (RFC 7643 §2.1). */
export function indexByName(attributes: readonly AttributeDefinition[]): ReadonlyMap<string, AttributeDefinition> {
  return new Map(attributes.map((attr) => [attr.name.toLowerCase(), attr]));
}
