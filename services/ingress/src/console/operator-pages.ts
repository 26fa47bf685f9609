import type { Db } from '@scimflow/db';
import type { TenantView } from '../admin/tenant-admin';
import { describeTenants, type TenantActivityView } from '../admin/tenant-inventory';
import { describeWebhooks } from '../admin/event-admin';
import { describeDigests } from '../admin/log-admin';
import { html, type SafeHtml } from './html';
import { copyable, csrfField } from './console-views';

export function loginPage(failed: boolean): SafeHtml {
  return html`<h1>Operator sign-in</h1>
    ${failed ? html`<p class="error">That is not the admin token.</p>` : ''}
    <form method="post" action="/console/login" class="card">
      <label for="token">Admin token (ADMIN_TOKEN)</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required />
      <button type="submit">Sign in</button>
    </form>`;
}

export async function tenantsPage(db: Db, publicUrl: string, query: Record<string, unknown>, csrf: string) {
  const search = typeof query.q === 'string' && query.q.trim() !== '' ? query.q.trim().slice(0, 200) : undefined;
  const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
  const list = await describeTenants(
    db,
    { ...(search ? { q: search } : {}), ...(cursor ? { cursor } : {}), limit: '50' },
    publicUrl,
  );
  return html`<h1>Tenants</h1>
    <form method="get" action="/console" class="inline">
      <input name="q" placeholder="Search by name" value="${search ?? ''}" aria-label="Search tenants" />
      <button type="submit">Search</button>
    </form>
    <table class="tenants">
      <thead>
        <tr>
          <th>Name</th>
          <th>Users</th>
          <th>Groups</th>
          <th>Token last used</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        ${list.items.map(
          (tenant) =>
            html`<tr>
              <td><a href="/console/tenants/${tenant.id}">${tenant.name}</a></td>
              <td>${tenant.users}</td>
              <td>${tenant.groups}</td>
              <td>${tenant.tokenLastUsedAt ?? 'never'}</td>
              <td>${tenant.disabled ? 'disabled' : 'active'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${list.nextCursor ? html`<a href="/console?${new URLSearchParams({ ...(search ? { q: search } : {}), cursor: list.nextCursor }).toString()}">More →</a>` : ''}
    <h2>New tenant</h2>
    <form method="post" action="/console/tenants" class="card">
      ${csrfField(csrf)}
      <label for="name">Name</label><input id="name" name="name" required maxlength="200" />
      <button type="submit">Create tenant</button>
    </form>`;
}

/** The "SCIM info" dialog: the endpoint and the token, shown this once, with copy buttons. */
export function scimInfo(title: string, scimBaseUrl: string, token: string, back: string): SafeHtml {
  return html`<section class="card scim-info" role="dialog" aria-labelledby="scim-info-title">
    <h1 id="scim-info-title">${title}</h1>
    <p>
      Paste these into the identity provider (Entra ID: Tenant URL and Secret Token; Okta: base URL and API token).
      <strong>The token is shown only now.</strong>
    </p>
    ${copyable('SCIM endpoint (Tenant URL)', scimBaseUrl, 'scim-url')} ${copyable('Secret token', token, 'scim-token')}
    <a href="${back}">Done</a>
  </section>`;
}

/** A list setting as the form's comma-separated text. */
export function listText(value: unknown): string {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string').join(', ') : '';
}

function json(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

function settingsForm(tenant: TenantView, csrf: string): SafeHtml {
  const settings = tenant.settings;
  return html`<section id="settings">
    <h2>Settings</h2>
    <form method="post" action="/console/tenants/${tenant.id}/settings" class="card">
      ${csrfField(csrf)}
      <label for="emails">Notification emails (comma-separated)</label>
      <input id="emails" name="notificationEmails" value="${listText(settings.notificationEmails)}" />
      <label for="window">Digest window (seconds)</label>
      <input id="window" name="notifyWindowSeconds" inputmode="numeric" value="${json(settings.notifyWindowSeconds)}" />
      <label for="required">Required attributes (JSON)</label>
      <input id="required" name="requiredAttributes" value="${json(settings.requiredAttributes)}" />
      <label for="groups">Default groups (comma-separated ids)</label>
      <input id="groups" name="defaultGroups" value="${listText(settings.defaultGroups)}" />
      <label for="budget">Budget (JSON, e.g. {"writesPerSecond": 200})</label>
      <input id="budget" name="budget" value="${json(settings.budget)}" />
      <button type="submit">Save settings</button>
    </form>
  </section>`;
}

export async function tenantPage(
  db: Db,
  tenant: TenantView,
  sections: { activity: SafeHtml; summary: TenantActivityView; csrf: string; notice?: SafeHtml },
): Promise<SafeHtml> {
  const [webhooks, digests] = await Promise.all([describeWebhooks(db, tenant.id), describeDigests(db, tenant.id)]);
  const { summary } = sections;
  const lagOf = new Map(summary.webhooks.map((hook) => [hook.id, hook]));
  const { csrf } = sections;
  return html`<h1>${tenant.name}</h1>
    ${sections.notice ?? ''}
    <p>
      ${tenant.disabled ? html`<strong class="error">Disabled</strong>` : 'Active'} · created ${tenant.createdAt} ·
      token rotated ${tenant.tokenRotatedAt}, last used ${tenant.tokenLastUsedAt ?? 'never'}
    </p>
    ${copyable('SCIM endpoint', tenant.scimBaseUrl, 'endpoint')}
    <div class="actions">
      <form method="post" action="/console/tenants/${tenant.id}/token">
        ${csrfField(csrf)}<button type="submit">Regenerate token</button>
      </form>
      <form method="post" action="/console/tenants/${tenant.id}/link">
        ${csrfField(csrf)}<button type="submit">Customer link (7 days)</button>
      </form>
      <form method="post" action="/console/tenants/${tenant.id}/disabled">
        ${csrfField(csrf)}
        <input type="hidden" name="disabled" value="${tenant.disabled ? 'false' : 'true'}" />
        <button type="submit">${tenant.disabled ? 'Enable' : 'Disable'}</button>
      </form>
    </div>
    ${sections.activity}
    <section id="resources">
      <h2>Users and groups</h2>
      <form class="inline" data-browse="${tenant.id}">
        <select name="type" aria-label="Resource type">
          <option value="users">Users</option>
          <option value="groups">Groups</option>
        </select>
        <input name="q" placeholder="Starts with…" aria-label="Search users and groups" />
        <button type="submit">Search</button>
      </form>
      <table class="resources">
        <tbody></tbody>
      </table>
    </section>
    <section id="webhooks">
      <h2>Webhooks</h2>
      <table>
        <thead>
          <tr>
            <th>URL</th>
            <th>Delivered</th>
            <th>Lag</th>
            <th>Failing attempts</th>
            <th>Dead letters</th>
            <th>Last error</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${webhooks.items.map((hook) => {
            const lag = lagOf.get(hook.id);
            const action = (name: string, label: string) =>
              html`<form method="post" action="/console/tenants/${tenant.id}/webhooks/${hook.id}/${name}">
                ${csrfField(csrf)}<button type="submit">${label}</button>
              </form>`;
            return html`<tr>
              <td>${hook.url}</td>
              <td>${hook.deliveredSequence}</td>
              <td>${lag?.lag ?? 0} events${lag?.oldestUndeliveredAt ? `, oldest ${lag.oldestUndeliveredAt}` : ''}</td>
              <td>${hook.failingAttempts}</td>
              <td>${'deadLetters' in hook ? hook.deadLetters : ''}</td>
              <td>${hook.lastError ?? ''}</td>
              <td class="actions">${action('test', 'Test-send')} ${action('replay', 'Replay dead letters')}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </section>
    <section id="digests">
      <h2>Failure digests</h2>
      <table>
        <thead>
          <tr>
            <th>Window</th>
            <th>Failures</th>
            <th>Status</th>
            <th>Sent</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          ${digests.items.map(
            (digest) =>
              html`<tr>
                <td>${digest.windowStart} – ${digest.windowEnd}</td>
                <td>${digest.failures}</td>
                <td>${digest.status}</td>
                <td>${digest.sentAt ?? ''}</td>
                <td>${digest.lastError ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    ${settingsForm(tenant, csrf)}`;
}
