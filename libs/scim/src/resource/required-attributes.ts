import { isJsonObject, type JsonValue, type ScimDocument } from '../constants';
import { ScimError } from '../errors';
import { matchesElement, validateElementFilter } from '../filter/evaluate-element';
import { parsePatchPath } from '../filter/parser';
import { resolveAttrPath, type ResolvedPath } from '../schema/resolve-path';
import type { ResourceType } from '../schema/resource-type';
import type { FilterNode } from '../filter/ast';

/**
 * A tenant profile's required attribute: an attribute path as in PATCH, e.g. `externalId`,
 * `name.givenName`, `emails[type eq "work"].value` (Twingate's list) or an enterprise URN path.
 */
export interface RequiredAttribute extends ResolvedPath {
  readonly text: string;
  readonly filter?: FilterNode;
}

/** Checks a configured path once, when the setting is saved. Throws `400 invalidValue`. */
export function parseRequiredAttribute(resource: ResourceType, text: string): RequiredAttribute {
  try {
    const { path, filter } = parsePatchPath(text);
    const resolved = resolveAttrPath(resource, path, 'invalidPath');
    if (resolved.attr.mutability === 'readOnly' || resolved.attr.mutability === 'writeOnly') {
      throw ScimError.badRequest('invalidPath', `'${text}' is not an attribute a client sets`);
    }
    if (filter) {
      if (!resolved.attr.multiValued)
        throw ScimError.badRequest('invalidPath', `'${resolved.attr.name}' is not multi-valued`);
      validateElementFilter(filter, resolved.attr, 'invalidPath');
    }
    return { ...resolved, text, ...(filter ? { filter } : {}) };
  } catch (error) {
    if (error instanceof ScimError)
      throw ScimError.badRequest(
        'invalidValue',
        `Required attribute '${text}' is not valid for ${resource.name}: ${error.detail}`,
      );
    throw error;
  }
}

/** The required attributes `doc` lacks (empty strings count as missing). */
export function missingAttributes(doc: ScimDocument, required: readonly RequiredAttribute[]): string[] {
  return required.filter((attribute) => !present(doc, attribute)).map((attribute) => attribute.text);
}

function present(doc: ScimDocument, required: RequiredAttribute): boolean {
  const container = required.namespace === null ? doc : doc[required.namespace];
  if (!isJsonObject(container)) return false;
  const value = container[required.attr.name];
  if (!required.attr.multiValued)
    return hasValue(required.sub && isJsonObject(value) ? value[required.sub.name] : required.sub ? undefined : value);
  if (!Array.isArray(value)) return false;
  return value.some((element) => {
    if (required.filter && !matchesElement(required.filter, element, required.attr)) return false;
    return hasValue(required.sub ? (isJsonObject(element) ? element[required.sub.name] : undefined) : element);
  });
}

function hasValue(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}
