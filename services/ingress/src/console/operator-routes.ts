import type { Request, Response, Router } from 'express';
import { isUuid } from '@scimflow/db';
import { customerLinkUrl, signConsoleToken } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';
import { createTenant, describeTenant, rotateTenantToken, updateTenantSettings } from '../admin/tenant-admin';
import { replayDeadLetters, testWebhook } from '../admin/webhook-actions';
import { OPERATOR_COOKIE, requireCsrf, requireOperator } from './console-auth';
import { errorNotice, forms, operatorCsrf, operatorNav, routeTenant, send, type ConsoleDeps } from './console-http';
import { copyable } from './console-views';
import { html, type SafeHtml } from './html';
import { scimInfo, tenantPage, tenantsPage } from './operator-pages';
import { settingsFromForm } from './settings-form';
import { activitySections, logFilters } from './tenant-sections';

const LINK_TTL_MS = 7 * 24 * 3600_000;

/** The operator's pages: every /console path below, behind the session and its CSRF token. */
export function registerOperatorRoutes(router: Router, deps: ConsoleDeps): void {
  const { keys, db, publicUrl } = deps;
  // Operator pages.
  router.use('/console', requireOperator(keys), forms, requireCsrf(keys, OPERATOR_COOKIE));
  registerTenantActions(router, deps);
  router.get('/console', async (req, res) => {
    send(
      res,
      'Tenants',
      await tenantsPage(db, publicUrl, req.query, operatorCsrf(keys, req)),
      operatorNav(operatorCsrf(keys, req)),
    );
  });
  router.post('/console/tenants', async (req, res) => {
    const body: unknown = req.body;
    const name = typeof body === 'object' && body !== null && 'name' in body ? String(body.name).trim() : '';
    if (!name || name.length > 200)
      throw ScimError.badRequest('invalidValue', 'A tenant needs a name of 1 to 200 characters');
    const created = await createTenant(db, name, publicUrl);
    send(
      res,
      'Tenant created',
      scimInfo(`Tenant ${created.name} created`, created.scimBaseUrl, created.token, `/console/tenants/${created.id}`),
      operatorNav(operatorCsrf(keys, req)),
      201,
    );
  });

  router.get('/console/tenants/:id', (req, res) => operatorTenantPage(deps, req, res));
  router.post('/console/tenants/:id/settings', async (req, res) => {
    try {
      const tenant = await updateTenantSettings(db, routeTenant(req), settingsFromForm(req.body), publicUrl);
      if (!tenant) throw ScimError.notFound('No such tenant');
      await operatorTenantPage(deps, req, res, html`<p class="notice">Settings saved.</p>`);
    } catch (error) {
      await operatorTenantPage(deps, req, res, errorNotice(error), 400);
    }
  });
  router.post('/console/tenants/:id/disabled', async (req, res) => {
    const body: unknown = req.body;
    const disabled = typeof body === 'object' && body !== null && 'disabled' in body && body.disabled === 'true';
    await updateTenantSettings(db, routeTenant(req), { disabled }, publicUrl);
    deps.tokens.evict(routeTenant(req));
    res.redirect(303, `/console/tenants/${routeTenant(req)}`);
  });
  router.post('/console/tenants/:id/token', async (req, res) => {
    const id = routeTenant(req);
    const rotated = await rotateTenantToken(db, id, {});
    const tenant = await describeTenant(db, id, publicUrl);
    deps.tokens.evict(id);
    if (!rotated || !tenant) throw ScimError.notFound('No such tenant');
    send(
      res,
      'New token',
      scimInfo(`New token for ${tenant.name}`, tenant.scimBaseUrl, rotated.token, `/console/tenants/${id}`),
      operatorNav(operatorCsrf(keys, req)),
    );
  });
}

/** What an operator does to a tenant's webhooks, and the customer link. */
function registerTenantActions(router: Router, deps: ConsoleDeps): void {
  const { keys, db, publicUrl } = deps;
  router.post('/console/tenants/:id/webhooks/:webhookId/:action', async (req, res) => {
    const key = { tenantId: routeTenant(req), id: req.params.webhookId };
    if (!isUuid(key.id)) throw ScimError.notFound('No such webhook');
    if (req.params.action === 'test') {
      const sent = await testWebhook(db, key, deps.webhookPolicy);
      const notice = sent.delivered ? 'The endpoint accepted the test body.' : `Not delivered: ${sent.error ?? ''}`;
      return operatorTenantPage(deps, req, res, html`<p class="${sent.delivered ? 'notice' : 'error'}">${notice}</p>`);
    }
    if (req.params.action !== 'replay') throw ScimError.notFound('No such action');
    const replay = await replayDeadLetters(db, key, deps.webhookPolicy);
    const stopped = replay.stoppedAt
      ? ` Stopped at event ${replay.stoppedAt.sequence}: ${replay.stoppedAt.error}.`
      : '';
    await operatorTenantPage(
      deps,
      req,
      res,
      html`<p class="notice">${replay.replayed} dead letters delivered, ${replay.remaining} left.${stopped}</p>`,
    );
  });
  router.post('/console/tenants/:id/link', async (req, res) => {
    const id = routeTenant(req);
    const tenant = await describeTenant(db, id, publicUrl);
    if (!tenant) throw ScimError.notFound('No such tenant');
    const url = customerLinkUrl(
      publicUrl,
      signConsoleToken(keys.secret, { kind: 'customer', tenantId: id }, LINK_TTL_MS),
    );
    const body = html`<section class="card">
      <h1>Customer link for ${tenant.name}</h1>
      <p>It opens only this tenant's Identity Provider page, for 7 days. Send it to the customer's admin.</p>
      ${copyable('Link', url, 'customer-link')}<a href="/console/tenants/${id}">Back</a>
    </section>`;
    send(res, 'Customer link', body, operatorNav(operatorCsrf(keys, req)));
  });
}

/** A tenant's page, with a notice above it (what an action did). */
async function operatorTenantPage(
  deps: ConsoleDeps,
  req: Request,
  res: Response,
  notice?: SafeHtml,
  status = 200,
): Promise<void> {
  const { keys, db, publicUrl } = deps;
  const id = req.params.id;
  const tenant = typeof id === 'string' && isUuid(id) ? await describeTenant(db, id, publicUrl) : undefined;
  if (!tenant)
    return send(
      res,
      'Not found',
      html`<p class="error">No such tenant.</p>`,
      operatorNav(operatorCsrf(keys, req)),
      404,
    );
  const { section, summary } = await activitySections(
    db,
    tenant.id,
    `/console/tenants/${tenant.id}`,
    logFilters(req.query),
  );
  const body = await tenantPage(db, tenant, {
    activity: section,
    summary,
    csrf: operatorCsrf(keys, req),
    ...(notice ? { notice } : {}),
  });
  send(res, tenant.name, body, operatorNav(operatorCsrf(keys, req)), status);
}
