import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { signConsoleToken, verifyConsoleToken, type ConsoleClaims } from '@scimflow/jobs';
import { html, page } from './html';

export const OPERATOR_COOKIE = 'scimflow_console';
export const CUSTOMER_COOKIE = 'scimflow_idp';
const OPERATOR_TTL_MS = 8 * 3600_000;

/** The cookies a console request carries (no cookie-parser: two names, one header). */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it, so a forged
 * form post arrives without a session), Secure when served over https.
 */
export function setCookie(req: Request, res: Response, name: string, value: string, path: string, ttlMs: number): void {
  res.cookie(name, value, { path, httpOnly: true, sameSite: 'strict', secure: req.secure, maxAge: ttlMs });
}

export function clearCookie(res: Response, name: string, path: string): void {
  res.clearCookie(name, { path, httpOnly: true, sameSite: 'strict' });
}

export interface ConsoleKeys {
  readonly adminToken: string;
  /** Signs sessions and customer links (CONSOLE_SECRET, shared with the notifier). */
  readonly secret: string;
}

/** Sign-in with ADMIN_TOKEN, compared in constant time; an operator session of eight hours. */
export function signIn(keys: ConsoleKeys, req: Request, res: Response, token: unknown): boolean {
  const digest = (value: string) => createHmac('sha256', keys.secret).update(value).digest();
  if (typeof token !== 'string' || !timingSafeEqual(digest(token), digest(keys.adminToken))) return false;
  setCookie(
    req,
    res,
    OPERATOR_COOKIE,
    signConsoleToken(keys.secret, { kind: 'operator' }, OPERATOR_TTL_MS),
    '/',
    OPERATOR_TTL_MS,
  );
  return true;
}

/** The session's claims, from its cookie. */
export function sessionOf(keys: ConsoleKeys, req: Request, cookie: string): ConsoleClaims | undefined {
  return verifyConsoleToken(keys.secret, cookieOf(req, cookie));
}

/** Tied to the session cookie: a form can only be posted by a page that was served to that session. */
export function csrfToken(keys: ConsoleKeys, session: string): string {
  return createHmac('sha256', keys.secret).update(`csrf:${session}`).digest('base64url');
}

/**
 * State-changing requests must come from this origin (the browser's Origin header, when sent) and
 * carry the session's CSRF token: SameSite=Strict already keeps other sites' posts sessionless,
 * this is the second lock.
 */
export function requireCsrf(keys: ConsoleKeys, cookie: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const origin = req.get('origin');
    const host = req.get('host');
    const session = cookieOf(req, cookie);
    const body: unknown = req.body;
    const given = typeof body === 'object' && body !== null && 'csrf' in body ? body.csrf : undefined;
    const sameOrigin = origin === undefined || (host !== undefined && new URL(origin).host === host);
    if (session && sameOrigin && typeof given === 'string' && given === csrfToken(keys, session)) return next();
    res
      .status(403)
      .type('html')
      .send(
        page(
          'Refused',
          html`<p class="error">This form expired or did not come from the console. Reload the page and try again.</p>`,
        ),
      );
  };
}

/** Operator pages: a valid operator session, or the sign-in page. */
export function requireOperator(keys: ConsoleKeys): RequestHandler {
  return (req, res, next) => {
    if (sessionOf(keys, req, OPERATOR_COOKIE)?.kind === 'operator') return next();
    res.redirect(303, '/console/login');
  };
}
