import express, { Router, type Request, type Response } from 'express';
import { isUuid, type Db } from '@scimflow/db';
import { customerLinkUrl, signConsoleToken, verifyConsoleToken, type WebhookPolicy } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';
import type { CredentialThrottle } from '../scim/credential-throttle';
import type { TenantTokenCache } from '../scim/tenant-token-cache';
import { createTenant, describeTenant, rotateTenantToken, updateTenantSettings } from '../admin/tenant-admin';
import { replayDeadLetters, testWebhook } from '../admin/webhook-actions';
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets';
import {
  clearCookie,
  cookieOf,
  csrfToken,
  CUSTOMER_COOKIE,
  OPERATOR_COOKIE,
  requireCsrf,
  requireOperator,
  sessionOf,
  setCookie,
  signIn,
  type ConsoleKeys,
} from './console-auth';
import { copyable, csrfField } from './console-views';
import { identityProviderPage } from './customer-pages';
import { html, page, type SafeHtml } from './html';
import { loginPage, scimInfo, tenantPage, tenantsPage } from './operator-pages';
import { settingsFromForm } from './settings-form';
import { activitySections, logFilters } from './tenant-sections';

const LINK_TTL_MS = 7 * 24 * 3600_000;

export interface ConsoleDeps {
  readonly db: Db;
  readonly publicUrl: string;
  readonly tokens: TenantTokenCache;
  readonly keys: ConsoleKeys;
  readonly webhookPolicy: WebhookPolicy;
  /** Wrong admin tokens at sign-in count against the client address, as bad SCIM tokens do. */
  readonly credentials: CredentialThrottle;
}

function send(res: Response, title: string, body: SafeHtml, nav?: SafeHtml, status = 200): void {
  // Pages hold tokens and personal data: never cached, never framed by another site.
  res.set({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "default-src 'self'" });
  res
    .status(status)
    .type('html')
    .send(page(title, body, nav === undefined ? {} : { nav }));
}

const operatorNav = (csrf: string) =>
  html`<a href="/console">Tenants</a> <a href="/admin/queues/">Queues</a> <a href="/admin/docs">Admin API</a>
    <form method="post" action="/console/logout" class="inline">
      ${csrfField(csrf)}<button type="submit">Sign out</button>
    </form>`;

/** A console page's refusal as a page (a SCIM error's detail; anything else goes to the error handler). */
function errorNotice(error: unknown): SafeHtml {
  if (error instanceof ScimError) return html`<p class="error">${error.detail}</p>`;
  throw error;
}

/** The tenant id in a console path; anything but a uuid names no tenant. */
function routeTenant(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !isUuid(id)) throw ScimError.notFound('No such tenant');
  return id;
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  const forms = express.urlencoded({ extended: false, limit: '64kb' });
  const { keys, db, publicUrl } = deps;
  const operatorCsrf = (req: Request) => csrfToken(keys, cookieOf(req, OPERATOR_COOKIE) ?? '');
  const customerCsrf = (req: Request) => csrfToken(keys, cookieOf(req, CUSTOMER_COOKIE) ?? '');

  router.get(
    '/console/assets/console.css',
    (_req, res) => void res.type('css').set('Cache-Control', 'max-age=300').send(CONSOLE_CSS),
  );
  router.get(
    '/console/assets/console.js',
    (_req, res) => void res.type('js').set('Cache-Control', 'max-age=300').send(CONSOLE_JS),
  );

  router.get('/console/login', (_req, res) => send(res, 'Sign in', loginPage(false)));
  router.post('/console/login', forms, async (req, res) => {
    const body: unknown = req.body;
    const token = typeof body === 'object' && body !== null && 'token' in body ? body.token : undefined;
    if (signIn(keys, req, res, token)) return res.redirect(303, '/console');
    const retryAfter = await deps.credentials.failed(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (retryAfter === undefined) return send(res, 'Sign in', loginPage(true), undefined, 401);
    res.set('Retry-After', String(retryAfter));
    send(
      res,
      'Sign in',
      html`<p class="error">Too many wrong tokens from this address; try again in ${retryAfter} s.</p>`,
      undefined,
      429,
    );
  });
  router.post('/console/logout', forms, requireCsrf(keys, OPERATOR_COOKIE), (_req, res) => {
    clearCookie(res, OPERATOR_COOKIE, '/');
    res.redirect(303, '/console/login');
  });

  // The customer admin's page: the link sets a cookie scoped to it, then the token leaves the URL.
  router.get('/console/idp', async (req, res) => {
    const link = typeof req.query.link === 'string' ? req.query.link : undefined;
    if (link !== undefined) {
      const claims = verifyConsoleToken(keys.secret, link);
      if (claims?.kind !== 'customer')
        return send(
          res,
          'Link expired',
          html`<p class="error">This link is invalid or has expired; ask your service provider for a new one.</p>`,
          undefined,
          403,
        );
      setCookie(req, res, CUSTOMER_COOKIE, link, '/console/idp', claims.exp - Date.now());
      res.redirect(303, '/console/idp');
      return;
    }
    await customerPage(req, res);
  });
  async function customerPage(req: Request, res: Response, notice?: SafeHtml, status = 200): Promise<void> {
    const claims = sessionOf(keys, req, CUSTOMER_COOKIE);
    const tenant = claims?.kind === 'customer' ? await describeTenant(db, claims.tenantId, publicUrl) : undefined;
    if (!tenant)
      return send(
        res,
        'Link expired',
        html`<p class="error">Open the link your service provider gave you again.</p>`,
        undefined,
        403,
      );
    const activity = await activitySections(db, tenant.id, '/console/idp', logFilters(req.query));
    send(
      res,
      'Identity Provider',
      identityProviderPage(tenant, activity, customerCsrf(req), notice),
      undefined,
      status,
    );
  }
  const customerTenant = (req: Request) => {
    const claims = sessionOf(keys, req, CUSTOMER_COOKIE);
    if (claims?.kind !== 'customer') throw new ScimError(403, 'Open the link your service provider gave you again.');
    return claims.tenantId;
  };
  router.post('/console/idp/token', forms, requireCsrf(keys, CUSTOMER_COOKIE), async (req, res) => {
    const tenantId = customerTenant(req);
    const rotated = await rotateTenantToken(db, tenantId, {});
    const tenant = await describeTenant(db, tenantId, publicUrl);
    deps.tokens.evict(tenantId);
    if (!rotated || !tenant) throw ScimError.notFound('This tenant no longer exists');
    send(res, 'New token', scimInfo('Your new SCIM token', tenant.scimBaseUrl, rotated.token, '/console/idp'));
  });
  router.post('/console/idp/settings', forms, requireCsrf(keys, CUSTOMER_COOKIE), async (req, res) => {
    const tenantId = customerTenant(req);
    try {
      const { notificationEmails } = settingsFromForm(req.body);
      await updateTenantSettings(db, tenantId, { notificationEmails }, publicUrl);
      await customerPage(req, res, html`<p class="notice">Saved.</p>`);
    } catch (error) {
      await customerPage(req, res, errorNotice(error), 400);
    }
  });

  // Operator pages.
  router.use('/console', requireOperator(keys), forms, requireCsrf(keys, OPERATOR_COOKIE));
  router.get('/console', async (req, res) => {
    send(
      res,
      'Tenants',
      await tenantsPage(db, publicUrl, req.query, operatorCsrf(req)),
      operatorNav(operatorCsrf(req)),
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
      operatorNav(operatorCsrf(req)),
      201,
    );
  });

  async function operatorTenantPage(req: Request, res: Response, notice?: SafeHtml, status = 200): Promise<void> {
    const id = req.params.id;
    const tenant = typeof id === 'string' && isUuid(id) ? await describeTenant(db, id, publicUrl) : undefined;
    if (!tenant)
      return send(res, 'Not found', html`<p class="error">No such tenant.</p>`, operatorNav(operatorCsrf(req)), 404);
    const activity = await activitySections(db, tenant.id, `/console/tenants/${tenant.id}`, logFilters(req.query));
    const body = await tenantPage(db, tenant, { activity, csrf: operatorCsrf(req), ...(notice ? { notice } : {}) });
    send(res, tenant.name, body, operatorNav(operatorCsrf(req)), status);
  }
  router.get('/console/tenants/:id', (req, res) => operatorTenantPage(req, res));
  router.post('/console/tenants/:id/settings', async (req, res) => {
    try {
      const tenant = await updateTenantSettings(db, routeTenant(req), settingsFromForm(req.body), publicUrl);
      if (!tenant) throw ScimError.notFound('No such tenant');
      await operatorTenantPage(req, res, html`<p class="notice">Settings saved.</p>`);
    } catch (error) {
      await operatorTenantPage(req, res, errorNotice(error), 400);
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
      operatorNav(operatorCsrf(req)),
    );
  });
  router.post('/console/tenants/:id/webhooks/:webhookId/:action', async (req, res) => {
    const key = { tenantId: routeTenant(req), id: req.params.webhookId };
    if (!isUuid(key.id)) throw ScimError.notFound('No such webhook');
    if (req.params.action === 'test') {
      const sent = await testWebhook(db, key, deps.webhookPolicy);
      const notice = sent.delivered ? 'The endpoint accepted the test body.' : `Not delivered: ${sent.error ?? ''}`;
      return operatorTenantPage(req, res, html`<p class="${sent.delivered ? 'notice' : 'error'}">${notice}</p>`);
    }
    if (req.params.action !== 'replay') throw ScimError.notFound('No such action');
    const replay = await replayDeadLetters(db, key, deps.webhookPolicy);
    const stopped = replay.stoppedAt
      ? ` Stopped at event ${replay.stoppedAt.sequence}: ${replay.stoppedAt.error}.`
      : '';
    await operatorTenantPage(
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
    send(res, 'Customer link', body, operatorNav(operatorCsrf(req)));
  });
  return router;
}
