import { isJsonObject, type JsonObject, type JsonValue } from '../constants';
import { ScimError } from '../errors';
import { MAX_BINARY_LENGTH, MAX_TEXT_LENGTH, type AttributeDefinition } from '../schema/attribute';
import { findSubAttribute } from '../schema/resource-type';
import { isStorableText } from '../storable-text';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function invalid(label: string, expected: string): ScimError {
  return ScimError.badRequest('invalidValue', `Attribute '${label}' must be ${expected}`);
}

/**
 * Checks and normalises a client value for one attribute. Returns undefined for "absent":
 * Entra sends `null` for unset attributes and `[]` for empty lists, both meaning no value.
 */
export function coerceAttribute(def: AttributeDefinition, raw: unknown, label = def.name): JsonValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!def.multiValued) {
    // A one-element array for a single-valued attribute is a common client slip; take the element.
    if (Array.isArray(raw)) {
      if (raw.length > 1) throw invalid(label, 'a single value, not a list');
      return coerceSingle(def, raw[0], label);
    }
    return coerceSingle(def, raw, label);
  }
  const items = Array.isArray(raw) ? raw : [raw];
  const values: JsonValue[] = [];
  items.forEach((item, index) => {
    const value = coerceSingle(def, item, `${label}[${index}]`);
    if (value !== undefined) values.push(value);
  });
  if (values.length === 0) return undefined;
  if (values.filter((value) => isJsonObject(value) && value.primary === true).length > 1) {
    throw ScimError.badRequest('invalidValue', `At most one value of '${label}' may be primary`);
  }
  return values;
}

/** Coerces one element of a (possibly multi-valued) attribute. */
export function coerceSingle(def: AttributeDefinition, raw: unknown, label = def.name): JsonValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  switch (def.type) {
    case 'complex':
      // Entra sends the enterprise `manager` as a bare id; a single complex value with a `value`
      // sub-attribute takes a string as that. In lists a string is a type error.
      if (typeof raw === 'string' && !def.multiValued && findSubAttribute(def, 'value'))
        return raw === '' ? undefined : { value: raw };
      return coerceComplex(def, raw, label);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      // Entra sends booleans as "True"/"False" strings in PATCH values.
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
      throw invalid(label, 'a boolean');
    case 'integer':
    case 'decimal': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(label, 'a number');
      if (def.type === 'integer' && !Number.isInteger(value)) throw invalid(label, 'an integer');
      return value;
    }
    case 'dateTime':
      if (typeof raw !== 'string' || !ISO_DATE_TIME.test(raw) || Number.isNaN(Date.parse(raw)))
        throw invalid(label, 'an xsd:dateTime string');
      return raw;
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof raw !== 'string') throw invalid(label, 'a string');
      if (!isStorableText(raw)) throw invalid(label, 'text without NUL characters or unpaired surrogates');
      return checkLength(def, raw, label);
  }
}

function checkLength(def: AttributeDefinition, value: string, label: string): string {
  const max = def.maxLength ?? (def.type === 'binary' ? MAX_BINARY_LENGTH : MAX_TEXT_LENGTH);
  if (value.length > max) throw invalid(label, `at most ${max} characters long (got ${value.length})`);
  return value;
}

function coerceComplex(def: AttributeDefinition, raw: unknown, label: string): JsonObject | undefined {
  if (!isJsonObject(raw)) throw invalid(label, 'an object');
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const sub = findSubAttribute(def, key);
    if (!sub) throw ScimError.badRequest('invalidValue', `'${key}' is not a sub-attribute of '${label}'`);
    // readOnly sub-attributes (manager.displayName) are set by the server, never by the client.
    if (sub.mutability === 'readOnly') continue;
    const coerced = coerceAttribute(sub, value, `${label}.${sub.name}`);
    if (coerced !== undefined) result[sub.name] = coerced;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}
