import { isJsonObject, type JsonValue } from '../constants';
import { ScimError } from '../errors';
import type { FilterNode } from '../filter/ast';
import { validateElementFilter } from '../filter/evaluate-element';
import { parseAttrPath, parsePatchPath } from '../filter/parser';
import { coerceAttribute, coerceSingle } from '../resource/coerce-value';
import type { AttributeDefinition } from '../schema/attribute';
import { extensionUrn, resolveAttrPath, type ResolvedPath } from '../schema/resolve-path';
import type { ResourceType } from '../schema/resource-type';
import type { PatchOperation } from './parse-patch-request';

export interface PatchTarget extends ResolvedPath {
  /** Selects elements of the multi-valued `attr`. */
  readonly filter?: FilterNode;
}

/** What a PATCH operation means once paths are resolved and values coerced. */
export type AtomicOperation =
  /** `value` undefined means "set to nothing" (a null from the client). */
  | {
      readonly kind: 'set';
      readonly op: 'add' | 'replace';
      readonly target: PatchTarget;
      readonly value: JsonValue | undefined;
    }
  /** `values` removes just those elements (Entra's `remove members [{value}]`). */
  | { readonly kind: 'remove'; readonly target: PatchTarget; readonly values?: readonly JsonValue[] };

/**
 * Resolves every path against the schema and coerces every value, so a PATCH is rejected as a
 * whole before anything is applied. Pure: runs in the ingress (to answer 400 without queueing)
 * and again in the worker.
 */
export function compilePatch(resource: ResourceType, operations: readonly PatchOperation[]): AtomicOperation[] {
  const out: AtomicOperation[] = [];
  operations.forEach((operation, index) => {
    try {
      compileOperation(resource, operation, out);
    } catch (error) {
      if (error instanceof ScimError && operations.length > 1) {
        throw new ScimError(error.status, `Operations[${index}]: ${error.detail}`, error.scimType);
      }
      throw error;
    }
  });
  return out;
}

function compileOperation(resource: ResourceType, operation: PatchOperation, out: AtomicOperation[]): void {
  const { op, path } = operation;
  if (op === 'remove') {
    if (!path) throw ScimError.badRequest('noTarget', "A 'remove' operation needs a path");
    const target = resolveTarget(resource, path);
    if (!target || target.attr.mutability === 'writeOnly') return;
    if (
      target.attr.multiValued &&
      !target.filter &&
      !target.sub &&
      operation.value !== undefined &&
      operation.value !== null
    ) {
      const values = coerceAttribute(target.attr, operation.value);
      out.push(Array.isArray(values) ? { kind: 'remove', target, values } : { kind: 'remove', target });
      return;
    }
    out.push({ kind: 'remove', target });
    return;
  }
  if (!('value' in operation)) throw ScimError.badRequest('invalidValue', `An '${op}' operation needs a value`);
  const value = operation.value;
  if (!path) {
    if (!isJsonObject(value))
      throw ScimError.badRequest('invalidValue', `An '${op}' without a path needs an object value`);
    expandObject(resource, op, value, null, out);
    return;
  }
  const wholeExtension = extensionUrn(resource, path);
  if (wholeExtension) {
    if (!isJsonObject(value))
      throw ScimError.badRequest('invalidValue', `'${wholeExtension}' must be set to an object`);
    expandObject(resource, op, value, wholeExtension, out);
    return;
  }
  const target = resolveTarget(resource, path);
  if (!target || target.attr.mutability === 'writeOnly') return;
  out.push({ kind: 'set', op, target, value: coerceForTarget(target, value) });
}

/**
 * No-path add/replace: each key is an attribute, a dotted path (Entra's `"name.givenName"`),
 * a URN-qualified attribute, or an extension URN holding an object of its attributes.
 * Read-only keys are skipped: Okta echoes `id` in `{"id", "displayName"}` replaces.
 */
function expandObject(
  resource: ResourceType,
  op: 'add' | 'replace',
  value: Record<string, JsonValue>,
  namespace: string | null,
  out: AtomicOperation[],
): void {
  for (const [key, item] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    if (namespace === null) {
      const extension = extensionUrn(resource, key);
      if (extension) {
        if (item === null) continue;
        if (!isJsonObject(item)) throw ScimError.badRequest('invalidValue', `'${extension}' must be set to an object`);
        expandObject(resource, op, item, extension, out);
        continue;
      }
    }
    const attrPath = parseAttrPath(namespace ? `${namespace}:${key}` : key, 'invalidPath');
    if (
      attrPath.uri &&
      !namespace &&
      !resource.extensionAttributes.has(attrPath.uri.toLowerCase()) &&
      attrPath.uri.toLowerCase() !== resource.schema.id.toLowerCase()
    ) {
      continue; // an extension schema we don't store
    }
    const resolved = resolveAttrPath(resource, attrPath, 'invalidPath');
    const mutability = resolved.sub?.mutability ?? resolved.attr.mutability;
    if (mutability === 'readOnly' || resolved.attr.mutability === 'readOnly' || mutability === 'writeOnly') continue;
    out.push({ kind: 'set', op, target: resolved, value: coerceForTarget(resolved, item) });
  }
}

function resolveTarget(resource: ResourceType, text: string): PatchTarget | undefined {
  const { path, filter } = parsePatchPath(text);
  const resolved = resolveAttrPath(resource, path, 'invalidPath');
  if (resolved.attr.mutability === 'readOnly' || resolved.sub?.mutability === 'readOnly') {
    throw ScimError.badRequest('mutability', `Attribute '${text}' is read-only`);
  }
  if (!filter) return resolved;
  if (!resolved.attr.multiValued)
    throw ScimError.badRequest(
      'invalidPath',
      `'${resolved.attr.name}' is not multi-valued, so it can't take a value filter`,
    );
  validateElementFilter(filter, resolved.attr, 'invalidPath');
  return { ...resolved, filter };
}

function coerceForTarget(target: PatchTarget, value: JsonValue | undefined): JsonValue | undefined {
  if (target.sub) return coerceAttribute(target.sub, value, `${target.attr.name}.${target.sub.name}`);
  if (target.filter) return coerceElement(target.attr, value);
  return coerceAttribute(target.attr, value);
}

/** A filtered target is one element; tolerate it arriving wrapped in a one-element list. */
function coerceElement(attr: AttributeDefinition, value: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1)
      throw ScimError.badRequest('invalidValue', `A filtered '${attr.name}' path takes a single value`);
    return coerceSingle(attr, value[0]);
  }
  return coerceSingle(attr, value);
}
