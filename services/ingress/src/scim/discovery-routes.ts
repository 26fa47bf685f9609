import type { Router } from 'express';
import { findTenant, tenantProfile } from '@scimflow/db';
import {
  listResponse,
  resourceTypeDocument,
  resourceTypes,
  schemaDocuments,
  ScimError,
  serviceProviderConfig,
} from '@scimflow/scim';
import { sendScim } from '../http/scim-response';
import { readDeps, type ScimDeps } from './scim-context';

/** RFC 7644 §4: generated from the same schema definitions the validator uses. */
export function registerDiscoveryRoutes(router: Router, prefix: string, deps: ScimDeps): void {
  router.get(`${prefix}/ServiceProviderConfig`, (_req, res) =>
    sendScim(res, 200, serviceProviderConfig(readDeps(deps, res).base, deps.bulkLimits)),
  );

  router.get(`${prefix}/ResourceTypes`, (_req, res) => {
    const documents = resourceTypes.map((resource) => resourceTypeDocument(resource, readDeps(deps, res).base));
    sendScim(res, 200, listResponse(documents, { totalResults: documents.length, startIndex: 1 }));
  });
  router.get(`${prefix}/ResourceTypes/:name`, (req, res) => {
    const resource = resourceTypes.find((type) => type.name.toLowerCase() === req.params.name.toLowerCase());
    if (!resource) throw ScimError.notFound(`No resource type ${req.params.name}`);
    sendScim(res, 200, resourceTypeDocument(resource, readDeps(deps, res).base));
  });

  /** The tenant's own required attributes are part of what the schemas say. */
  async function schemas(tenantId: string, base: string) {
    const profile = tenantProfile((await findTenant(deps.db, tenantId))?.settings);
    return schemaDocuments(base, (resource) => profile.required.get(resource.name) ?? []);
  }
  router.get(`${prefix}/Schemas`, async (_req, res) => {
    const { tenantId, base } = readDeps(deps, res);
    const documents = await schemas(tenantId, base);
    sendScim(res, 200, listResponse(documents, { totalResults: documents.length, startIndex: 1 }));
  });
  router.get(`${prefix}/Schemas/:urn`, async (req, res) => {
    const { tenantId, base } = readDeps(deps, res);
    const urn = req.params.urn.toLowerCase();
    const schema = (await schemas(tenantId, base)).find(
      (document) => typeof document.id === 'string' && document.id.toLowerCase() === urn,
    );
    if (!schema) throw ScimError.notFound(`No schema ${req.params.urn}`);
    sendScim(res, 200, schema);
  });
}
