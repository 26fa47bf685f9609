import { isJsonObject, type JsonObject, type ScimDocument } from '../constants';
import { ScimError } from '../errors';
import type { AttributeDefinition } from '../schema/attribute';
import { parseAttrPath } from '../filter/parser';
import { resolveAttrPath } from '../schema/resolve-path';
import type { ResourceType } from '../schema/resource-type';
import { coerceAttribute } from './coerce-value';

/**
 * Turns a POST/PUT body into the stored document: canonical attribute names, coerced values,
 * no read-only attributes (RFC 7644 §3.3: "SHALL be ignored") and no write-only ones (the
 * password is accepted and dropped). Extension schemas we don't know are ignored rather than
 * failed, because Entra adds its own URNs to `schemas`; unknown core attributes are errors.
 */
export function normalizeResource(resource: ResourceType, body: unknown): ScimDocument {
  if (!isJsonObject(body)) throw ScimError.badRequest('invalidSyntax', 'The request body must be a JSON object');
  const doc: ScimDocument = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas') {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        throw ScimError.badRequest('invalidSyntax', "'schemas' must be an array of schema URNs");
      }
      continue;
    }
    const extension = resource.extensionAttributes.get(lower);
    if (extension) {
      if (value === null) continue;
      if (!isJsonObject(value)) throw ScimError.badRequest('invalidValue', `'${extension.urn}' must be an object`);
      const part = normalizeAttributes(value, (name) => extension.attributes.get(name.toLowerCase()), extension.urn);
      if (Object.keys(part).length > 0) doc[extension.urn] = part;
      continue;
    }
    if (lower.startsWith('urn:')) {
      // A URN-qualified core attribute is resolved; any other URN is an extension we can't store.
      const path = parseAttrPath(key, 'invalidPath');
      if (path.uri && resource.schema.id.toLowerCase() === path.uri.toLowerCase() && !path.sub) {
        assign(doc, resolveAttrPath(resource, path, 'invalidPath').attr, value);
      }
      continue;
    }
    const attr = resource.coreAttributes.get(lower);
    if (!attr) throw ScimError.badRequest('invalidValue', `'${key}' is not an attribute of ${resource.name}`);
    assign(doc, attr, value);
  }
  validateDocument(resource, doc);
  return doc;
}

function normalizeAttributes(
  values: JsonObject,
  lookup: (name: string) => AttributeDefinition | undefined,
  label: string,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(values)) {
    const attr = lookup(key);
    if (!attr) throw ScimError.badRequest('invalidValue', `'${key}' is not an attribute of ${label}`);
    assign(out, attr, value);
  }
  return out;
}

function assign(target: JsonObject, attr: AttributeDefinition, value: unknown): void {
  if (attr.mutability === 'readOnly' || attr.mutability === 'writeOnly') return;
  const coerced = coerceAttribute(attr, value);
  if (coerced === undefined) delete target[attr.name];
  else target[attr.name] = coerced;
}

/** Whole-resource rules that hold after any create, replace or patch. */
export function validateDocument(resource: ResourceType, doc: ScimDocument): void {
  for (const attr of resource.schema.attributes) {
    if (!attr.required || attr.mutability === 'readOnly') continue;
    const value = doc[attr.name];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
      throw ScimError.badRequest('invalidValue', `Attribute '${attr.name}' is required`);
    }
  }
}
