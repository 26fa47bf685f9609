import { ScimError } from '../errors';
import { formatAttrPath, type AttrPath } from '../filter/ast';
import type { AttributeDefinition } from './attribute';
import { findSubAttribute, isCoreSchema, type ResourceType } from './resource-type';

export interface ResolvedPath {
  /** Canonical extension URN, or null for core and common attributes. */
  readonly namespace: string | null;
  readonly attr: AttributeDefinition;
  readonly sub?: AttributeDefinition;
}

type ErrorKind = 'invalidFilter' | 'invalidPath';

/** The canonical URN if `text` names one of the resource's extension schemas as a whole. */
export function extensionUrn(resource: ResourceType, text: string): string | undefined {
  return resource.extensionAttributes.get(text.toLowerCase())?.urn;
}

/** Resolves `[uri:]attr[.sub]` against a resource type, case-insensitively (RFC 7643 §2.1). */
export function resolveAttrPath(resource: ResourceType, path: AttrPath, kind: ErrorKind): ResolvedPath {
  let namespace: string | null = null;
  let attr: AttributeDefinition | undefined;
  if (path.uri && !isCoreSchema(resource, path.uri)) {
    const extension = resource.extensionAttributes.get(path.uri.toLowerCase());
    if (!extension) throw ScimError.badRequest(kind, `'${path.uri}' is not a schema of ${resource.name}`);
    namespace = extension.urn;
    attr = extension.attributes.get(path.attr.toLowerCase());
  } else {
    attr = resource.coreAttributes.get(path.attr.toLowerCase());
  }
  if (!attr) throw ScimError.badRequest(kind, `'${formatAttrPath(path)}' is not an attribute of ${resource.name}`);
  if (!path.sub) return { namespace, attr };
  const sub = attr.type === 'complex' ? findSubAttribute(attr, path.sub) : undefined;
  if (!sub) throw ScimError.badRequest(kind, `'${formatAttrPath(path)}' is not an attribute of ${resource.name}`);
  return { namespace, attr, sub };
}
