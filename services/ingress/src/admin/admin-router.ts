import { createHash, timingSafeEqual } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Router, type Request, type RequestHandler } from 'express';
import { isUuid, type Db } from '@scimflow/db';
import type { WebhookPolicy } from '@scimflow/jobs';
import { GroupResource, ScimError, searchFromQuery, UserResource } from '@scimflow/scim';
import { sendScimError } from '../http/scim-response';
import type { CredentialThrottle } from '../scim/credential-throttle';
import type { TenantTokenCache } from '../scim/tenant-token-cache';
import { parseOrBadRequest, requireTenant } from './admin-validation';
import { createWebhook, describeDeadLetters, describeWebhooks, pollEvents, removeWebhook } from './event-admin';
import { describeDigests, queryLog } from './log-admin';
import {
  createTenantBody,
  createTenant,
  describeTenant,
  removeTenant,
  rotateTenantToken,
  scimBaseUrl,
  updateTenantSettings,
} from './tenant-admin';
import { describeTenantActivity, describeTenants } from './tenant-inventory';
import { replayDeadLetters, testWebhook } from './webhook-actions';
import { search } from '../scim/resource-reads';
import { bearerToken } from './tokens';
import { OPERATOR_COOKIE, sessionOf, type ConsoleKeys } from '../console/console-auth';
import { queueBoard } from './queue-board';
import { registerAdminDocs } from './admin-docs';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Bearer ADMIN_TOKEN, compared in constant time (digests have equal length whatever was sent), or
 * — for reads only — the console's operator session cookie (SameSite=Strict: no other site's page
 * can make the browser send it), which is how the console and Bull Board read through this API.
 */
function adminAuth(adminToken: string, keys: ConsoleKeys, credentials?: CredentialThrottle): RequestHandler {
  const expected = digest(adminToken);
  return async (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (token !== undefined && timingSafeEqual(digest(token), expected)) return next();
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (token === undefined && read && sessionOf(keys, req, OPERATOR_COOKIE)?.kind === 'operator') return next();
    // A wrong admin token counts against the address like a wrong SCIM token (past the allowance: 429).
    const retryAfter = token === undefined ? undefined : await credentials?.failed(req.ip ?? 'unknown');
    if (retryAfter !== undefined) {
      res.set('Retry-After', String(retryAfter));
      return sendScimError(res, {
        status: 429,
        detail: `Too many bad credentials from this address; retry after ${retryAfter} s`,
      });
    }
    res.set('WWW-Authenticate', 'Bearer realm="scimflow-admin"');
    sendScimError(res, { status: 401, detail: 'Missing or invalid admin token' });
  };
}

function tenantNotFound(id: string): ScimError {
  return ScimError.notFound(`Tenant ${id} not found`);
}

/** Route ids that aren't uuids can't exist: 404 without a query (and never a failed ::uuid cast). */
function routeId(req: Request, name: string, notFound: (id: string) => ScimError): string {
  const raw = req.params[name];
  const id = typeof raw === 'string' ? raw : '';
  if (!isUuid(id)) throw notFound(id);
  return id;
}
const tenantId = (req: Request) => routeId(req, 'id', tenantNotFound);
const webhookId = (req: Request) => routeId(req, 'webhookId', (id) => ScimError.notFound(`Webhook ${id} not found`));

export function adminRouter(deps: {
  consoleKeys: ConsoleKeys;
  queues: readonly Queue[];
  /** Absent only where no Redis is at hand (the route-description test). */
  credentials?: CredentialThrottle;
  db: Db;
  adminToken: string;
  publicUrl: string;
  tokens: TenantTokenCache;
  webhookPolicy: WebhookPolicy;
}): Router {
  const router = Router();
  router.use(adminAuth(deps.adminToken, deps.consoleKeys, deps.credentials));
  router.use('/queues', queueBoard(deps.queues));
  registerAdminDocs(router);

  router.post('/tenants', async (req, res) => {
    const { name } = parseOrBadRequest(createTenantBody, req.body);
    const tenant = await createTenant(deps.db, name, deps.publicUrl);
    res.status(201).location(`/admin/tenants/${tenant.id}`).json(tenant);
  });

  router.get('/tenants/:id', async (req, res) => {
    const tenant = await describeTenant(deps.db, tenantId(req), deps.publicUrl);
    if (!tenant) throw tenantNotFound(req.params.id);
    res.json(tenant);
  });

  router.patch('/tenants/:id', async (req, res) => {
    const tenant = await updateTenantSettings(deps.db, tenantId(req), req.body, deps.publicUrl);
    if (!tenant) throw tenantNotFound(req.params.id);
    deps.tokens.evict(req.params.id);
    res.json(tenant);
  });

  router.get('/tenants', async (req, res) => {
    res.json(await describeTenants(deps.db, req.query, deps.publicUrl));
  });

  router.delete('/tenants/:id', async (req, res) => {
    if (!(await removeTenant(deps.db, tenantId(req)))) throw tenantNotFound(req.params.id);
    deps.tokens.evict(req.params.id);
    res.status(204).end();
  });

  router.get('/tenants/:id/summary', async (req, res) => {
    res.json(await describeTenantActivity(deps.db, tenantId(req)));
  });

  // Read-only browsing of what a tenant's identity provider provisioned: the SCIM query language
  // (filter, sortBy, startIndex, count, attributes) without the tenant's token.
  for (const [path, resource] of [
    ['users', UserResource],
    ['groups', GroupResource],
  ] as const) {
    router.get(`/tenants/:id/${path}`, async (req, res) => {
      const id = tenantId(req);
      await requireTenant(deps.db, id);
      await search(
        { db: deps.db, tenantId: id, base: scimBaseUrl(deps.publicUrl, id) },
        res,
        resource,
        searchFromQuery(req.query),
      );
    });
  }

  router.post('/tenants/:id/token', async (req, res) => {
    const rotated = await rotateTenantToken(deps.db, tenantId(req), req.body);
    if (!rotated) throw tenantNotFound(req.params.id);
    // Other instances hear the NOTIFY; this one must not answer even one more request from a stale copy.
    deps.tokens.evict(req.params.id);
    res.json(rotated);
  });

  router.post('/tenants/:id/webhooks', async (req, res) => {
    const webhook = await createWebhook(deps.db, tenantId(req), req.body, deps.webhookPolicy);
    res.status(201).location(`/admin/tenants/${req.params.id}/webhooks/${webhook.id}`).json(webhook);
  });
  router.get('/tenants/:id/webhooks', async (req, res) => {
    res.json(await describeWebhooks(deps.db, tenantId(req)));
  });
  router.delete('/tenants/:id/webhooks/:webhookId', async (req, res) => {
    await removeWebhook(deps.db, tenantId(req), webhookId(req));
    res.status(204).end();
  });
  router.get('/tenants/:id/webhooks/:webhookId/dead-letters', async (req, res) => {
    res.json(await describeDeadLetters(deps.db, tenantId(req), webhookId(req)));
  });
  router.post('/tenants/:id/webhooks/:webhookId/test', async (req, res) => {
    res.json(await testWebhook(deps.db, { tenantId: tenantId(req), id: webhookId(req) }, deps.webhookPolicy));
  });
  router.post('/tenants/:id/webhooks/:webhookId/dead-letters/replay', async (req, res) => {
    res.json(await replayDeadLetters(deps.db, { tenantId: tenantId(req), id: webhookId(req) }, deps.webhookPolicy));
  });
  router.get('/tenants/:id/events', async (req, res) => {
    res.json(await pollEvents(deps.db, tenantId(req), req.query));
  });
  router.get('/tenants/:id/logs', async (req, res) => {
    res.json(await queryLog(deps.db, tenantId(req), req.query));
  });
  router.get('/tenants/:id/notifications', async (req, res) => {
    res.json(await describeDigests(deps.db, tenantId(req)));
  });

  return router;
}
