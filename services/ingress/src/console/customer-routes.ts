import type { Request, Response, Router } from 'express';
import { verifyConsoleToken } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';
import { describeTenant, rotateTenantToken, updateTenantSettings } from '../admin/tenant-admin';
import { CUSTOMER_COOKIE, requireCsrf, sessionOf, setCookie } from './console-auth';
import { customerCsrf, errorNotice, forms, send, type ConsoleDeps } from './console-http';
import { identityProviderPage } from './customer-pages';
import { html, type SafeHtml } from './html';
import { scimInfo } from './operator-pages';
import { settingsFromForm } from './settings-form';
import { activitySections, logFilters } from './tenant-sections';

/**
 * The customer admin's pages under /console/idp, reached by a link an operator made: one
 * tenant's Identity Provider page, its token and its notification emails. Nothing else.
 */
export function registerCustomerRoutes(router: Router, deps: ConsoleDeps): void {
  const { keys, db, publicUrl } = deps;
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
    const { section: activity } = await activitySections(db, tenant.id, '/console/idp', logFilters(req.query));
    send(
      res,
      'Identity Provider',
      identityProviderPage(tenant, activity, customerCsrf(keys, req), notice),
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
}
