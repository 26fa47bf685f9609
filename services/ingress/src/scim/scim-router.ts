import { Router } from 'express';
import { searchFromBody } from '@scimflow/scim';
import { registerDiscoveryRoutes } from './discovery-routes';
import { registerGroupRoutes } from './groups-routes';
import { searchAll } from './resource-reads';
import { readDeps, requireBody, type ScimDeps } from './scim-context';
import { budgetGate } from './budget-gate';
import { inOrder } from '../http/in-order';
import { bulkJsonParser, registerBulkRoutes } from './bulk-routes';
import { tenantAuth } from './tenant-auth';
import { registerUserRoutes } from './users-routes';

export const SCIM_PREFIX = '/scim/v2/:tenantId';

/** Every SCIM endpoint of a tenant. One flat router with full paths: nested routers with mergeParams cost measurably per request. */
export function scimRouter(deps: ScimDeps): Router {
  const router = Router();
  const parseBulkJson = bulkJsonParser(deps.bulkLimits.maxPayloadSize);
  router.use(
    SCIM_PREFIX,
    inOrder(
      tenantAuth({
        tokens: deps.tokens,
        throttle: deps.credentials,
        rejections: deps.rejections,
        failuresPerMinute: deps.authFailuresPerMinute,
      }),
      budgetGate(deps.budgets, deps.rejections),
      deps.rejections.middleware(),
      (req, res, next) => (req.path === '/Bulk' ? parseBulkJson : deps.parseJson)(req, res, next),
    ),
  );
  // The busiest routes first: a request is matched against each route before its own.
  registerUserRoutes(router, SCIM_PREFIX, deps);
  registerGroupRoutes(router, SCIM_PREFIX, deps);
  registerBulkRoutes(router, SCIM_PREFIX, deps);
  registerDiscoveryRoutes(router, SCIM_PREFIX, deps);
  router.post(`${SCIM_PREFIX}/.search`, (req, res) =>
    searchAll(readDeps(deps, res), res, searchFromBody(requireBody(req))),
  );
  return router;
}
