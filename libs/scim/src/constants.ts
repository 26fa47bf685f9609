export const SCIM_MEDIA_TYPE = 'application/scim+json';

export const Urn = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  EnterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ListResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  PatchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  Error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  SearchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  BulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  BulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
} as const;

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A resource's attributes with canonical names; extension attributes live under their schema URN. */
export type ScimDocument = JsonObject;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
