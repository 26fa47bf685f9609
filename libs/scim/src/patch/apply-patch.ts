import { isJsonObject, type JsonObject, type JsonValue, type ScimDocument } from '../constants';
import { ScimError } from '../errors';
import { jsonEqual } from '../json-equal';
import type { FilterNode } from '../filter/ast';
import { matchesElement } from '../filter/evaluate-element';
import { coerceSingle } from '../resource/coerce-value';
import { validateDocument } from '../resource/normalize-resource';
import type { AttributeDefinition } from '../schema/attribute';
import { findSubAttribute, type ResourceType } from '../schema/resource-type';
import type { AtomicOperation, PatchTarget } from './compile-patch';

export interface PatchResult {
  readonly doc: ScimDocument;
  /** False when the operations left the resource as it was; callers skip the write and the version bump. */
  readonly changed: boolean;
}

/** Applies compiled operations to a copy of `doc`, all or nothing (RFC 7644 §3.5.2: PATCH is atomic). */
export function applyPatch(
  resource: ResourceType,
  doc: ScimDocument,
  operations: readonly AtomicOperation[],
): PatchResult {
  const next = structuredClone(doc);
  for (const operation of operations) {
    const container = containerFor(next, operation.target.namespace);
    if (operation.kind === 'set') applySet(container, operation.op, operation.target, operation.value);
    else applyRemove(container, operation.target, operation.values);
    if (operation.target.namespace && Object.keys(container).length === 0) delete next[operation.target.namespace];
  }
  validateDocument(resource, next);
  return { doc: next, changed: !jsonEqual(doc, next) };
}

function containerFor(doc: ScimDocument, namespace: string | null): JsonObject {
  if (namespace === null) return doc;
  const existing = doc[namespace];
  if (isJsonObject(existing)) return existing;
  const created: JsonObject = {};
  doc[namespace] = created;
  return created;
}

function applySet(
  container: JsonObject,
  op: 'add' | 'replace',
  target: PatchTarget,
  value: JsonValue | undefined,
): void {
  const { attr, sub, filter } = target;
  if (!attr.multiValued) {
    if (sub) return setSubAttribute(container, attr.name, sub.name, value);
    if (value === undefined) return void delete container[attr.name];
    const existing = container[attr.name];
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not named in the value are left unchanged.
    container[attr.name] =
      attr.type === 'complex' && isJsonObject(existing) && isJsonObject(value) ? { ...existing, ...value } : value;
    return;
  }

  const elements = readElements(container, attr.name);
  const touched: JsonValue[] = [];
  if (!filter && !sub) {
    if (value === undefined) return void delete container[attr.name];
    const incoming = Array.isArray(value) ? value : [value];
    if (op === 'replace') {
      elements.length = 0;
      elements.push(...incoming);
      touched.push(...incoming);
    } else {
      for (const item of incoming) {
        // RFC 7644 §3.5.2.1: adding a value that is already there changes nothing.
        const existing = elements.find((element) => jsonEqual(element, item));
        if (existing === undefined) elements.push(item);
        touched.push(existing ?? item);
      }
    }
  } else {
    const matches = filter ? elements.filter((element) => matchesElement(filter, element, attr)) : elements;
    if (matches.length === 0) {
      if (value === undefined) return;
      // Entra replaces `emails[type eq "work"].value` on users that have no work email yet and
      // expects one to be created (RFC 7644 would answer noTarget).
      const seed = filter ? seedFromFilter(filter, attr) : {};
      const created: JsonValue = sub
        ? { ...seed, [sub.name]: value }
        : isJsonObject(value)
          ? { ...seed, ...value }
          : value;
      elements.push(created);
      touched.push(created);
    }
    for (const match of matches) {
      const index = elements.indexOf(match);
      let updated: JsonValue | undefined;
      if (sub) {
        if (!isJsonObject(match)) continue;
        updated = { ...match };
        if (value === undefined) delete updated[sub.name];
        else updated[sub.name] = value;
      } else {
        updated = isJsonObject(match) && isJsonObject(value) ? { ...match, ...value } : value;
      }
      if (updated === undefined || (isJsonObject(updated) && Object.keys(updated).length === 0))
        elements.splice(index, 1);
      else {
        elements[index] = updated;
        touched.push(updated);
      }
    }
  }
  // RFC 7644 §3.5.2: setting primary on one value clears it on the others.
  if (touched.some((item) => isJsonObject(item) && item.primary === true)) {
    const keep = touched.find((item) => isJsonObject(item) && item.primary === true);
    elements.forEach((element, index) => {
      if (element !== keep && isJsonObject(element) && element.primary === true)
        elements[index] = { ...element, primary: false };
    });
  }
  writeElements(container, attr.name, elements);
}

function applyRemove(container: JsonObject, target: PatchTarget, values: readonly JsonValue[] | undefined): void {
  const { attr, sub, filter } = target;
  if (!attr.multiValued) {
    if (sub) return setSubAttribute(container, attr.name, sub.name, undefined);
    return void delete container[attr.name];
  }
  let elements = readElements(container, attr.name);
  if (values) {
    elements = elements.filter((element) => !values.some((value) => sameValue(attr, element, value)));
  } else if (!filter && !sub) {
    elements = [];
  } else {
    elements = elements.flatMap((element) => {
      if (filter && !matchesElement(filter, element, attr)) return [element];
      if (!sub || !isJsonObject(element)) return [];
      const rest = { ...element };
      delete rest[sub.name];
      return Object.keys(rest).length > 0 ? [rest] : [];
    });
  }
  writeElements(container, attr.name, elements);
}

/** Elements are "the same" when their `value`s match (by the attribute's case rule), else when equal. */
function sameValue(attr: AttributeDefinition, element: JsonValue, value: JsonValue): boolean {
  const valueAttr = attr.type === 'complex' ? findSubAttribute(attr, 'value') : undefined;
  if (valueAttr && isJsonObject(element) && isJsonObject(value) && value.value !== undefined) {
    const a = element.value;
    const b = value.value;
    if (typeof a === 'string' && typeof b === 'string' && !valueAttr.caseExact)
      return a.toLowerCase() === b.toLowerCase();
    return a === b;
  }
  return jsonEqual(element, value);
}

/**
 * The element a filter describes, when it is a conjunction of `eq` tests: `type eq "work"` ->
 * {type: "work"}. Values take the sub-attribute's type: Entra's `roles[primary eq "True"]` makes
 * a role whose `primary` is the boolean true, not the text "True".
 */
function seedFromFilter(filter: FilterNode, attr: AttributeDefinition): JsonObject {
  if (filter.type === 'and') return { ...seedFromFilter(filter.left, attr), ...seedFromFilter(filter.right, attr) };
  if (filter.type === 'compare' && filter.op === 'eq' && filter.value !== null) {
    const sub = findSubAttribute(attr, filter.path.attr);
    const value = sub ? coerceSingle(sub, filter.value, `${attr.name}.${sub.name}`) : undefined;
    if (sub && value !== undefined) return { [sub.name]: value };
  }
  throw ScimError.badRequest(
    'noTarget',
    `No value of '${attr.name}' matches the filter, and the filter doesn't describe one to create`,
  );
}

function setSubAttribute(container: JsonObject, name: string, sub: string, value: JsonValue | undefined): void {
  const existing = container[name];
  const next: JsonObject = isJsonObject(existing) ? { ...existing } : {};
  if (value === undefined) delete next[sub];
  else next[sub] = value;
  if (Object.keys(next).length === 0) delete container[name];
  else container[name] = next;
}

function readElements(container: JsonObject, name: string): JsonValue[] {
  const existing = container[name];
  return Array.isArray(existing) ? [...existing] : [];
}

function writeElements(container: JsonObject, name: string, elements: JsonValue[]): void {
  if (elements.length === 0) delete container[name];
  else container[name] = elements;
}
