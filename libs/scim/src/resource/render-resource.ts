import { Urn, type JsonObject, type ScimDocument } from '../constants';
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
  copyAttributes(resource.schema.attributes, stored.data, out);
  for (const { schema } of resource.extensions) {
    const part = stored.data[schema.id];
    if (part === undefined || part === null || typeof part !== 'object' || Array.isArray(part)) continue;
    const rendered: JsonObject = {};
    copyAttributes(schema.attributes, part, rendered);
    if (Object.keys(rendered).length > 0) {
      out[schema.id] = rendered;
      schemas.push(schema.id);
    }
  }
  out.schemas = schemas;
  out.meta = {
    resourceType: resource.name,
    created: stored.created,
    lastModified: stored.lastModified,
    location: `${baseUrl}${resource.endpoint}/${stored.id}`,
    version: formatVersion(stored.version),
  };
  return out;
}

function copyAttributes(attributes: readonly AttributeDefinition[], from: JsonObject, to: JsonObject): void {
  for (const attr of attributes) {
    if (attr.returned === 'never') continue;
    const value = from[attr.name];
    if (value !== undefined) to[attr.name] = value;
  }
}

export interface ListResponse {
  schemas: [typeof Urn.ListResponse];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: JsonObject[];
}

export function listResponse(resources: JsonObject[], totalResults: number, startIndex: number): ListResponse {
  return { schemas: [Urn.ListResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
