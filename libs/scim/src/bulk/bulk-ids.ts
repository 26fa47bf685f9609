import { isJsonObject, type JsonObject, type JsonValue } from '../constants';
import { BULK_ID_PREFIX, type BulkOperation } from './parse-bulk-request';

/** `"bulkId:x"` inside a PATCH path's value filter, e.g. `members[value eq "bulkId:x"]`. */
const QUOTED_REFERENCE = /"bulkId:([^"]+)"/g;

/**
 * The bulkIds an operation needs resolved before it can run (RFC 7644 §3.7.2): the one its path
 * names, and every string in its data that is exactly `bulkId:<id>` for an id this request
 * defines (a member's or manager's `value`, a PATCH value) or quotes one in a PATCH path's
 * filter. Any other string is data, left alone: a `bulkId:` no POST defines stays as sent and is
 * refused by the attribute's own checks (a member value must be a known id).
 */
export function bulkIdReferences(operation: BulkOperation, defined: ReadonlySet<string>): ReadonlySet<string> {
  const found = new Set<string>();
  if (operation.target && 'bulkId' in operation.target) found.add(operation.target.bulkId);
  if (operation.data)
    visitStrings(operation.data, (text, isPath) => {
      if (text.startsWith(BULK_ID_PREFIX) && defined.has(text.slice(BULK_ID_PREFIX.length)))
        found.add(text.slice(BULK_ID_PREFIX.length));
      if (isPath)
        for (const [, id] of text.matchAll(QUOTED_REFERENCE)) if (id !== undefined && defined.has(id)) found.add(id);
    });
  return found;
}

/** The data with every reference replaced by the id its POST created (ids: bulkId → resource id). */
export function resolveBulkIds(data: JsonObject, ids: ReadonlyMap<string, string>): JsonObject {
  return resolveObject(data, ids);
}

function resolveValue(value: JsonValue, ids: ReadonlyMap<string, string>, isPath: boolean): JsonValue {
  if (typeof value === 'string') {
    const id = value.startsWith(BULK_ID_PREFIX) ? ids.get(value.slice(BULK_ID_PREFIX.length)) : undefined;
    if (id !== undefined) return id;
    return isPath
      ? value.replace(QUOTED_REFERENCE, (whole, ref: string) => {
          const found = ids.get(ref);
          return found === undefined ? whole : `"${found}"`;
        })
      : value;
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, ids, false));
  if (isJsonObject(value)) return resolveObject(value, ids);
  return value;
}

function resolveObject(object: JsonObject, ids: ReadonlyMap<string, string>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) out[key] = resolveValue(value, ids, key.toLowerCase() === 'path');
  return out;
}

function visitStrings(value: JsonValue, visit: (text: string, isPath: boolean) => void, isPath = false): void {
  if (typeof value === 'string') visit(value, isPath);
  else if (Array.isArray(value)) for (const item of value) visitStrings(item, visit);
  else if (isJsonObject(value))
    for (const [key, item] of Object.entries(value)) visitStrings(item, visit, key.toLowerCase() === 'path');
}
