import express, { type Request, type Response } from 'express';
import { isUuid, type Db } from '@scimflow/db';
import type { WebhookPolicy } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';
import type { CredentialThrottle } from '../scim/credential-throttle';
import type { TenantTokenCache } from '../scim/tenant-token-cache';
import { cookieOf, csrfToken, CUSTOMER_COOKIE, OPERATOR_COOKIE, type ConsoleKeys } from './console-auth';
import { csrfField } from './console-views';
import { html, page, type SafeHtml } from './html';

export interface ConsoleDeps {
  readonly db: Db;
  readonly publicUrl: string;
  readonly tokens: TenantTokenCache;
  readonly keys: ConsoleKeys;
  readonly webhookPolicy: WebhookPolicy;
  /** Wrong admin tokens at sign-in count against the client address, as bad SCIM tokens do. */
  readonly credentials: CredentialThrottle;
}

/** The console's forms: urlencoded, small. */
export const forms = express.urlencoded({ extended: false, limit: '64kb' });

export function send(res: Response, title: string, body: SafeHtml, nav?: SafeHtml, status = 200): void {
  // Pages hold tokens and personal data: never cached, never framed by another site.
  res.set({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "default-src 'self'" });
  res
    .status(status)
    .type('html')
    .send(page(title, body, nav === undefined ? {} : { nav }));
}

export const operatorNav = (csrf: string) =>
  html`<a href="/console">Tenants</a> <a href="/admin/queues/">Queues</a> <a href="/admin/docs">Admin API</a>
    <form method="post" action="/console/logout" class="inline">
      ${csrfField(csrf)}<button type="submit">Sign out</button>
    </form>`;

/** A console page's refusal as a page (a SCIM error's detail; anything else goes to the error handler). */
export function errorNotice(error: unknown): SafeHtml {
  if (error instanceof ScimError) return html`<p class="error">${error.detail}</p>`;
  throw error;
}

/** The tenant id in a console path; anything but a uuid names no tenant. */
export function routeTenant(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !isUuid(id)) throw ScimError.notFound('No such tenant');
  return id;
}

/** The CSRF token of the request's operator (or customer) session, for the forms of its page. */
export function operatorCsrf(keys: ConsoleKeys, req: Request): string {
  return csrfToken(keys, cookieOf(req, OPERATOR_COOKIE) ?? '');
}

export function customerCsrf(keys: ConsoleKeys, req: Request): string {
  return csrfToken(keys, cookieOf(req, CUSTOMER_COOKIE) ?? '');
}
