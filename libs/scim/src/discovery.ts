import type { JsonObject } from './constants';
import { EventUri } from './event-uris';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './query/search-request';
import type { RequiredAttribute } from './resource/required-attributes';
import type { AttributeDefinition, SchemaDefinition } from './schema/attribute';
import { resourceTypes, type ResourceType } from './schema/resource-type';

export const DiscoveryUrn = {
  ServiceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  ResourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  Schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** What /Bulk accepts (RFC 7644 §3.7.4): operations per request and bytes per body. */
export interface BulkLimits {
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
}

/** RFC 7643 §5, extended by RFC 9865 §4 (`pagination`) and RFC 9967 §4 (`securityEvents`). Says exactly what scimflow does. */
export function serviceProviderConfig(baseUrl: string, bulk: BulkLimits): JsonObject {
  return {
    schemas: [DiscoveryUrn.ServiceProviderConfig],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: bulk.maxOperations, maxPayloadSize: bulk.maxPayloadSize },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    pagination: {
      cursor: true,
      index: true,
      // Entra and Okta page by index; cursors are there for clients that ask (RFC 9865 §4).
      defaultPaginationMethod: 'index',
      defaultPageSize: DEFAULT_PAGE_SIZE,
      maxPageSize: MAX_PAGE_SIZE,
    },
    // RFC 9967 §4: the events this server generates (delivered by webhook and poll, see README).
    securityEvents: { asyncRequest: 'none', eventUris: Object.values(EventUri) },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The tenant\'s secret token, sent as "Authorization: Bearer <token>".',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypeDocument(resource: ResourceType, baseUrl: string): JsonObject {
  return {
    schemas: [DiscoveryUrn.ResourceType],
    id: resource.name,
    name: resource.name,
    endpoint: resource.endpoint,
    description: resource.schema.description,
    schema: resource.schema.id,
    schemaExtensions: resource.extensions.map((extension) => ({
      schema: extension.schema.id,
      required: extension.required,
    })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${resource.name}` },
  };
}

/** Every schema a resource type uses, with the tenant's own required attributes marked required. */
export function schemaDocuments(
  baseUrl: string,
  required: (resource: ResourceType) => readonly RequiredAttribute[] = () => [],
): JsonObject[] {
  return resourceTypes.flatMap((resource) => {
    const requiredHere = required(resource);
    return [resource.schema, ...resource.extensions.map((extension) => extension.schema)].map((schema) =>
      schemaDocument(schema, baseUrl, (attr) =>
        requiredHere.some((r) => r.attr.name === attr.name && (r.namespace ?? resource.schema.id) === schema.id),
      ),
    );
  });
}

function schemaDocument(
  schema: SchemaDefinition,
  baseUrl: string,
  requiredByTenant: (attr: AttributeDefinition) => boolean,
): JsonObject {
  return {
    schemas: [DiscoveryUrn.Schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map((attr) => attributeDocument(attr, requiredByTenant(attr))),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

function attributeDocument(attr: AttributeDefinition, requiredByTenant = false): JsonObject {
  const doc: JsonObject = {
    name: attr.name,
    type: attr.type,
    multiValued: attr.multiValued,
    description: attr.description,
    required: attr.required || requiredByTenant,
    caseExact: attr.caseExact,
    mutability: attr.mutability,
    returned: attr.returned,
    uniqueness: attr.uniqueness,
  };
  if (attr.canonicalValues) doc.canonicalValues = [...attr.canonicalValues];
  if (attr.referenceTypes) doc.referenceTypes = [...attr.referenceTypes];
  if (attr.subAttributes) doc.subAttributes = attr.subAttributes.map((sub) => attributeDocument(sub));
  return doc;
}
