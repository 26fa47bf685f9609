import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring tokens for the web console (issue 11): the operator's session cookie and the
 * link an operator gives a customer admin, scoped to one tenant. The ingress checks them; the
 * notifier signs customer links into failure digests, so both share CONSOLE_SECRET.
 * Format: base64url(JSON claims) "." base64url(HMAC-SHA256).
 */
export type ConsoleClaims =
  | { readonly kind: 'operator'; readonly exp: number }
  | { readonly kind: 'customer'; readonly tenantId: string; readonly exp: number };

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/** Claims valid for `ttlMs` from now. */
export function signConsoleToken(
  secret: string,
  claims: { kind: 'operator' } | { kind: 'customer'; tenantId: string },
  ttlMs: number,
): string {
  const body = Buffer.from(JSON.stringify({ ...claims, exp: Date.now() + ttlMs })).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** The claims of a token this secret signed and that has not expired; undefined otherwise. */
export function verifyConsoleToken(secret: string, token: string | undefined): ConsoleClaims | undefined {
  if (!token || token.length > 2_000) return undefined;
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || !('exp' in claims) || typeof claims.exp !== 'number')
    return undefined;
  if (claims.exp <= Date.now()) return undefined;
  if ('kind' in claims && claims.kind === 'operator') return { kind: 'operator', exp: claims.exp };
  if ('kind' in claims && claims.kind === 'customer' && 'tenantId' in claims && typeof claims.tenantId === 'string')
    return { kind: 'customer', tenantId: claims.tenantId, exp: claims.exp };
  return undefined;
}

/** Where a customer link lands: the console's "Identity Provider" page for one tenant. */
export function customerLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/console/idp?link=${encodeURIComponent(token)}`;
}
