import { isJsonObject, Urn, type JsonObject, type JsonValue, type ScimDocument } from '../constants';
import type { AttributeDefinition } from '../schema/attribute';
import type { ResourceType } from '../schema/resource-type';

/** A resource as the store holds it; what the worker returns and the ingress renders. */
export interface StoredResource {
  readonly id: string;
  readonly data: ScimDocument;
  readonly version: number;
  /** ISO 8601. */
  readonly created: string;
  readonly lastModified: string;
  /** Attributes the server derives rather than stores in `data` (a User's `groups`). */
  readonly derived?: Readonly<Record<string, JsonValue>>;
}

/** RFC 7644 §3.14: a weak entity tag; `meta.version` and the ETag header carry the same string. */
export function formatVersion(version: number): string {
  return `W/"${version}"`;
}

/**
 * The SCIM representation of a stored resource, attributes in schema order. Attributes whose
 * `returned` is `never` (the password) are never written out, whatever the store holds.
 */
export function renderResource(resource: ResourceType, stored: StoredResource, baseUrl: string): JsonObject {
  const out: JsonObject = { schemas: [resource.schema.id], id: stored.id };
  const schemas = [resource.schema.id];
  if (stored.data.externalId !== undefined) out.externalId = stored.data.externalId;
  copyAttributes(
    resource.schema.attributes,
    stored.derived ? { ...stored.data, ...stored.derived } : stored.data,
    out,
    baseUrl,
  );
  for (const { schema } of resource.extensions) {
    const part = stored.data[schema.id];
    if (part === undefined || part === null || typeof part !== 'object' || Array.isArray(part)) continue;
    const rendered: JsonObject = {};
    copyAttributes(schema.attributes, part, rendered, baseUrl);
    if (Object.keys(rendered).length > 0) {
      out[schema.id] = rendered;
      schemas.push(schema.id);
    }
  }
  out.schemas = schemas;
  out.meta = metaOf(resource, stored, baseUrl);
  return out;
}

export function metaOf(resource: ResourceType, stored: StoredResource, baseUrl: string): JsonObject {
  return {
    resourceType: resource.name,
    created: stored.created,
    lastModified: stored.lastModified,
    location: `${baseUrl}${resource.endpoint}/${stored.id}`,
    version: formatVersion(stored.version),
  };
}

function copyAttributes(
  attributes: readonly AttributeDefinition[],
  from: JsonObject,
  to: JsonObject,
  baseUrl: string,
): void {
  for (const attr of attributes) {
    if (attr.returned === 'never') continue;
    const value = from[attr.name];
    if (value !== undefined) to[attr.name] = withReferences(attr, value, baseUrl);
  }
}

/**
 * Fills in `$ref` for references the server can resolve (a User's groups, a Group's members, the
 * enterprise manager): the URI of the resource whose id is `value` (RFC 7643 §2.3.7).
 */
export function withReferences(attr: AttributeDefinition, value: JsonValue, baseUrl: string): JsonValue {
  const ref = attr.subAttributes?.find((sub) => sub.name === '$ref');
  const types: readonly string[] | undefined = ref?.referenceTypes?.filter(
    (type) => type === 'User' || type === 'Group',
  );
  if (!types?.length) return value;
  const decorate = (item: JsonValue): JsonValue => {
    if (!isJsonObject(item) || typeof item.value !== 'string' || item.$ref !== undefined) return item;
    const type = typeof item.type === 'string' && types.includes(item.type) ? item.type : types[0];
    return { ...item, $ref: `${baseUrl}/${type === 'Group' ? 'Groups' : 'Users'}/${item.value}` };
  };
  return Array.isArray(value) ? value.map(decorate) : decorate(value);
}

/** ListResponse fields before `Resources`: index paging has startIndex, cursor paging (RFC 9865) nextCursor. */
export interface ListHeader {
  readonly totalResults: number;
  readonly itemsPerPage: number;
  readonly startIndex?: number;
  readonly nextCursor?: string;
  readonly previousCursor?: string;
}

export function listResponse(resources: JsonObject[], header: Omit<ListHeader, 'itemsPerPage'>): JsonObject {
  return { schemas: [Urn.ListResponse], ...header, itemsPerPage: resources.length, Resources: resources };
}
