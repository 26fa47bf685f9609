import type { TenantView } from '../admin/tenant-admin';
import { html, type SafeHtml } from './html';
import { copyable, csrfField } from './console-views';
import { listText } from './operator-pages';

/**
 * The customer admin's "Identity Provider" page, reached by a link the operator made for one
 * tenant: the SCIM endpoint, regenerating the token, who gets failure emails, and what was
 * provisioned or failed. Nothing of other tenants and none of the operator's tools.
 */
export function identityProviderPage(
  tenant: TenantView,
  activity: SafeHtml,
  csrf: string,
  notice?: SafeHtml,
): SafeHtml {
  const emails = listText(tenant.settings.notificationEmails);
  return html`<h1>Identity Provider · ${tenant.name}</h1>
    ${notice ?? ''}
    <section class="card">
      <p>Give your identity provider (Microsoft Entra ID, Okta) this SCIM endpoint and a secret token.</p>
      ${copyable('SCIM endpoint (Tenant URL)', tenant.scimBaseUrl, 'endpoint')}
      <form method="post" action="/console/idp/token">
        ${csrfField(csrf)}
        <p>Regenerating the token invalidates the existing one at once: update your identity provider right after.</p>
        <button type="submit">Regenerate SCIM token</button>
      </form>
    </section>
    <section id="notifications" class="card">
      <h2>Notification email</h2>
      <form method="post" action="/console/idp/settings">
        ${csrfField(csrf)}
        <label for="emails">Who is told when provisioning fails (comma-separated)</label>
        <input id="emails" name="notificationEmails" value="${emails}" />
        <button type="submit">Save</button>
      </form>
    </section>
    ${activity}`;
}
