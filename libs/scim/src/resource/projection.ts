import { isJsonObject, type JsonObject, type JsonValue } from '../constants';
import { ScimError } from '../errors';
import { parseAttrPath } from '../filter/parser';
import { extensionUrn, resolveAttrPath } from '../schema/resolve-path';
import type { ResourceType } from '../schema/resource-type';

/** One requested attribute: a core attribute (namespace null), an extension's, or a whole extension (attr null). */
interface Selection {
  readonly namespace: string | null;
  readonly attr: string | null;
  readonly sub?: string;
}

/** RFC 7644 §3.4.2.5: which attributes a response carries. */
export interface Projection {
  readonly mode: 'all' | 'include' | 'exclude';
  readonly selections: readonly Selection[];
}

export const ALL_ATTRIBUTES: Projection = { mode: 'all', selections: [] };

/**
 * Reads `attributes` / `excludedAttributes` (comma-separated paths). Names that aren't attributes
 * of this resource type are ignored: on `/.search` a list names attributes of several types.
 * If both are given, `attributes` wins.
 */
export function parseProjection(
  resource: ResourceType,
  attributes: readonly string[] | undefined,
  excluded: readonly string[] | undefined,
): Projection {
  const list = attributes?.length ? attributes : excluded?.length ? excluded : undefined;
  if (!list) return ALL_ATTRIBUTES;
  const selections: Selection[] = [];
  for (const raw of list) {
    const text = raw.trim();
    if (!text) continue;
    const whole = extensionUrn(resource, text);
    if (whole) {
      selections.push({ namespace: whole, attr: null });
      continue;
    }
    try {
      const resolved = resolveAttrPath(resource, parseAttrPath(text, 'invalidPath'), 'invalidPath');
      selections.push({
        namespace: resolved.namespace,
        attr: resolved.attr.name,
        ...(resolved.sub ? { sub: resolved.sub.name } : {}),
      });
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
    }
  }
  return { mode: attributes?.length ? 'include' : 'exclude', selections };
}

/** Whether a core attribute (or one of its sub-attributes) will appear, so callers can skip loading it. */
export function projects(resource: ResourceType, projection: Projection, attr: string): boolean {
  if (projection.mode === 'all') return true;
  const named = projection.selections.filter((s) => s.namespace === null && s.attr === attr);
  if (projection.mode === 'include') return named.length > 0 || returnedAlways(resource, attr);
  return !named.some((s) => s.sub === undefined);
}

function returnedAlways(resource: ResourceType, attr: string): boolean {
  return resource.coreAttributes.get(attr.toLowerCase())?.returned === 'always';
}

/** Applies a projection to a rendered resource. `schemas` and `returned: always` attributes stay. */
export function applyProjection(resource: ResourceType, body: JsonObject, projection: Projection): JsonObject {
  if (projection.mode === 'all') return body;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue;
    const extension = resource.extensionAttributes.get(key.toLowerCase());
    const kept =
      extension && isJsonObject(value)
        ? projectObject(value, projection, extension.urn, resource)
        : projectAttribute(key, value, projection, null, resource);
    if (kept !== undefined) out[key] = kept;
  }
  const schemas = Array.isArray(body.schemas)
    ? body.schemas.filter(
        (urn) => typeof urn !== 'string' || !resource.extensionAttributes.has(urn.toLowerCase()) || urn in out,
      )
    : body.schemas;
  return { schemas: schemas ?? [resource.schema.id], ...out };
}

function projectObject(
  part: JsonObject,
  projection: Projection,
  namespace: string,
  resource: ResourceType,
): JsonValue | undefined {
  const whole = projection.selections.some((s) => s.namespace === namespace && s.attr === null);
  if (whole) return projection.mode === 'include' ? part : undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(part)) {
    const kept = projectAttribute(key, value, projection, namespace, resource);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function projectAttribute(
  attr: string,
  value: JsonValue,
  projection: Projection,
  namespace: string | null,
  resource: ResourceType,
): JsonValue | undefined {
  const named = projection.selections.filter((s) => s.namespace === namespace && s.attr === attr);
  const wholeAttribute = named.some((s) => s.sub === undefined);
  const subs = new Set(named.flatMap((s) => (s.sub === undefined ? [] : [s.sub])));
  if (projection.mode === 'include') {
    if (wholeAttribute || (namespace === null && returnedAlways(resource, attr))) return value;
    return subs.size > 0 ? keepSubs(value, (sub) => subs.has(sub)) : undefined;
  }
  if (wholeAttribute) return namespace === null && returnedAlways(resource, attr) ? value : undefined;
  return subs.size > 0 ? keepSubs(value, (sub) => !subs.has(sub)) : value;
}

/** Keeps the chosen sub-attributes of a complex value, or of each element of a multi-valued one. */
function keepSubs(value: JsonValue, keep: (sub: string) => boolean): JsonValue | undefined {
  const pick = (item: JsonValue): JsonValue | undefined => {
    if (!isJsonObject(item)) return undefined;
    const out = Object.fromEntries(Object.entries(item).filter(([key]) => keep(key)));
    return Object.keys(out).length > 0 ? out : undefined;
  };
  if (Array.isArray(value)) {
    const items = value.map(pick).filter((item): item is JsonValue => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return pick(value);
}

/**
 * For the elements of a core multi-valued attribute: which sub-attributes a projection keeps
 * (`attributes=members.value`), or undefined when it keeps them all. Lets a streaming writer
 * project one element at a time.
 */
export function elementProjection(projection: Projection, attr: string): ((sub: string) => boolean) | undefined {
  if (projection.mode === 'all') return undefined;
  const named = projection.selections.filter((s) => s.namespace === null && s.attr === attr);
  if (named.some((s) => s.sub === undefined)) return undefined;
  const subs = new Set(named.flatMap((s) => (s.sub === undefined ? [] : [s.sub])));
  if (subs.size === 0) return undefined;
  return projection.mode === 'include' ? (sub) => subs.has(sub) : (sub) => !subs.has(sub);
}
