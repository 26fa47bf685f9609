import type { Request, RequestHandler, Response } from 'express';
import { isCanonicalUuid, type TenantCredentials, uuidv7 } from '@scimflow/db';
import { bearerToken, tokenMatches } from '../admin/tokens';
import { requestIdOf, setTenantId } from '../http/response-locals';
import { sendScimError } from '../http/scim-response';
import type { CredentialThrottle } from './credential-throttle';
import { OPERATION, RESOURCE_PATH, RefusalTally, type RejectionLog } from './rejection-log';
import type { TenantTokenCache } from './tenant-token-cache';

// Compared against when the tenant doesn't exist, so unknown tenants take as long as bad tokens.
const NO_TENANT = Buffer.alloc(32);

export interface TenantAuthDeps {
  readonly tokens: TenantTokenCache;
  readonly throttle: CredentialThrottle;
  readonly rejections: RejectionLog;
  readonly failuresPerMinute: number;
}

/** What a refused request was, for its tenant's log: `patch User`, `read Group`, `read ServiceProviderConfig`. */
function requestKind(req: Request): { operation: string; resourceType: string } {
  const resource = RESOURCE_PATH.exec(req.path);
  const search = resource?.[2] === '.search' || req.path === '/.search';
  const operation = search ? 'search' : (OPERATION[req.method] ?? 'read');
  if (resource) return { operation, resourceType: resource[1] === 'Users' ? 'User' : 'Group' };
  return { operation, resourceType: req.path.split('/')[1] || 'ServiceProviderConfig' };
}

/** The current token, or the previous one while its rotation's grace period runs. */
function accepts(credentials: TenantCredentials, token: string): boolean {
  if (tokenMatches(token, credentials.tokenHash)) return true;
  const previous = credentials.previous;
  return previous !== undefined && previous.expiresAt.getTime() > Date.now() && tokenMatches(token, previous.tokenHash);
}

/** A disabled tenant's requests, with a valid token: 403, and a line in its log. */
function refuseDisabled(deps: TenantAuthDeps, req: Request, res: Response, tenantId: string): void {
  const requestId = requestIdOf(res);
  const detail = 'This tenant is disabled; its administrator must ask the service provider to enable it';
  deps.rejections.record({
    tenantId,
    id: uuidv7(),
    ...requestKind(req),
    outcome: 'failure',
    httpStatus: 403,
    detail,
    ...(requestId === undefined ? {} : { requestId }),
  });
  sendScimError(res, { status: 403, detail });
}

/**
 * Authenticates `Authorization: Bearer <tenant token>` for the tenant named in the URL. A refusal
 * of an existing tenant's URL goes to that tenant's provisioning log (never the token: an admin
 * sees "your identity provider's token stopped working" in the log and the failure email).
 */
export function tenantAuth(deps: TenantAuthDeps): RequestHandler<{ tenantId: string }> {
  const tally = new RefusalTally(deps.rejections);
  return async (req, res, next) => {
    const tenantId = req.params.tenantId;
    // One tenant URL: the id as issued (lowercase). Another spelling is no tenant's URL, so a
    // token can't be checked (or cached) under a second key that a rotation wouldn't evict.
    if (!isCanonicalUuid(tenantId)) {
      sendScimError(res, { status: 404, detail: 'No tenant at this URL; use the SCIM base URL exactly as issued' });
      return;
    }
    const token = bearerToken(req.get('authorization'));
    const credentials = await deps.tokens.credentials(tenantId);
    if (token !== undefined && credentials && accepts(credentials, token)) {
      if (credentials.disabled) return refuseDisabled(deps, req, res, tenantId);
      deps.tokens.used(tenantId);
      setTenantId(res, tenantId);
      next();
      return;
    }
    // Unknown tenants are compared too, so they take as long as bad tokens.
    if (!credentials && token !== undefined) tokenMatches(token, NO_TENANT);
    const known = credentials !== undefined;
    const retryAfter = await deps.throttle.failed(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    const kind = requestKind(req);
    if (retryAfter !== undefined) {
      if (known)
        tally.count({
          tenantId,
          ...kind,
          httpStatus: 429,
          describe: (count, seconds) =>
            `${count} ${count === 1 ? 'request' : 'requests'} with a bad bearer token answered 429 in ${seconds} s ` +
            `(more than ${deps.failuresPerMinute} a minute from one address)`,
        });
      res.set('Retry-After', String(retryAfter));
      sendScimError(res, {
        status: 429,
        detail: `Too many bad credentials from this address; retry after ${retryAfter} s`,
      });
      return;
    }
    if (known) {
      const requestId = requestIdOf(res);
      deps.rejections.record({
        tenantId,
        id: uuidv7(),
        ...kind,
        outcome: 'failure',
        httpStatus: 401,
        detail:
          token === undefined
            ? 'No bearer token was sent'
            : "The bearer token is not this tenant's current token (rotated, revoked or mistyped)",
        ...(requestId === undefined ? {} : { requestId }),
      });
    }
    res.set('WWW-Authenticate', 'Bearer realm="scimflow"');
    sendScimError(res, { status: 401, detail: 'Missing, invalid or revoked bearer token' });
  };
}
