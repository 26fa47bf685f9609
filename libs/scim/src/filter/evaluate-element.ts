import { isJsonObject, type JsonValue } from '../constants';
import { ScimError } from '../errors';
import type { AttributeDefinition } from '../schema/attribute';
import { findSubAttribute } from '../schema/resource-type';
import { formatAttrPath, type CompValue, type CompareOp, type FilterNode } from './ast';

type ErrorKind = 'invalidFilter' | 'invalidPath';

/**
 * Checks that a value filter only names sub-attributes of `attr` and compares them sensibly.
 * Done once up front so evaluation can't fail halfway through a PATCH.
 */
export function validateElementFilter(filter: FilterNode, attr: AttributeDefinition, kind: ErrorKind): void {
  switch (filter.type) {
    case 'and':
    case 'or':
      validateElementFilter(filter.left, attr, kind);
      validateElementFilter(filter.right, attr, kind);
      return;
    case 'not':
      validateElementFilter(filter.operand, attr, kind);
      return;
    case 'valuePath':
      throw ScimError.badRequest(kind, 'Value filters cannot be nested');
    case 'present':
    case 'compare': {
      if (filter.path.sub || filter.path.uri)
        throw ScimError.badRequest(kind, `'${formatAttrPath(filter.path)}' is not a sub-attribute of ${attr.name}`);
      const sub = elementAttribute(attr, filter.path.attr);
      if (!sub) throw ScimError.badRequest(kind, `'${filter.path.attr}' is not a sub-attribute of ${attr.name}`);
      if (filter.type === 'compare' && ['gt', 'ge', 'lt', 'le'].includes(filter.op) && sub.type === 'boolean') {
        throw ScimError.badRequest(kind, `'${filter.op}' cannot compare the boolean ${attr.name}.${sub.name}`);
      }
      return;
    }
  }
}

/** Whether one element of the multi-valued attribute `attr` matches a (validated) value filter. */
export function matchesElement(filter: FilterNode, element: JsonValue, attr: AttributeDefinition): boolean {
  switch (filter.type) {
    case 'and':
      return matchesElement(filter.left, element, attr) && matchesElement(filter.right, element, attr);
    case 'or':
      return matchesElement(filter.left, element, attr) || matchesElement(filter.right, element, attr);
    case 'not':
      return !matchesElement(filter.operand, element, attr);
    case 'valuePath':
      return false;
    case 'present': {
      const value = readSub(element, attr, filter.path.attr);
      return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
    }
    case 'compare': {
      const sub = elementAttribute(attr, filter.path.attr);
      if (!sub) return false;
      return compare(readSub(element, attr, filter.path.attr), filter.op, filter.value, sub);
    }
  }
}

/** For simple multi-valued attributes the element itself is the `value` (RFC 7644 §3.4.2.2). */
function elementAttribute(attr: AttributeDefinition, name: string): AttributeDefinition | undefined {
  if (attr.type !== 'complex') return name.toLowerCase() === 'value' ? attr : undefined;
  return findSubAttribute(attr, name);
}

function readSub(element: JsonValue, attr: AttributeDefinition, name: string): JsonValue | undefined {
  if (attr.type !== 'complex') return element;
  if (!isJsonObject(element)) return undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(element).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : element[key];
}

function compare(actual: JsonValue | undefined, op: CompareOp, expected: CompValue, sub: AttributeDefinition): boolean {
  if (actual === undefined || actual === null || typeof actual === 'object')
    return op === 'ne' ? expected !== null : expected === null && op === 'eq';
  if (expected === null) return op === 'ne';
  if (sub.type === 'boolean') {
    const want = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected === true;
    const have = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    return op === 'eq' ? have === want : op === 'ne' ? have !== want : false;
  }
  if (sub.type === 'integer' || sub.type === 'decimal') {
    return orderCompare(Number(actual), op, Number(expected));
  }
  if (sub.type === 'dateTime') {
    const have = Date.parse(String(actual));
    const want = Date.parse(String(expected));
    if (!Number.isNaN(have) && !Number.isNaN(want)) return orderCompare(have, op, want);
  }
  const exact = sub.caseExact;
  const have = exact ? String(actual) : String(actual).toLowerCase();
  const want = exact ? String(expected) : String(expected).toLowerCase();
  switch (op) {
    case 'co':
      return have.includes(want);
    case 'sw':
      return have.startsWith(want);
    case 'ew':
      return have.endsWith(want);
    default:
      return orderCompare(have, op, want);
  }
}

function orderCompare<T extends number | string>(have: T, op: CompareOp, want: T): boolean {
  switch (op) {
    case 'eq':
      return have === want;
    case 'ne':
      return have !== want;
    case 'gt':
      return have > want;
    case 'ge':
      return have >= want;
    case 'lt':
      return have < want;
    case 'le':
      return have <= want;
    default:
      return false;
  }
}
