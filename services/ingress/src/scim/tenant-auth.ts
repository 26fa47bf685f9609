import type { RequestHandler } from 'express';
import { isCanonicalUuid } from '@scimflow/db';
import { bearerToken, tokenMatches } from '../admin/tokens';
import { setTenantId } from '../http/response-locals';
import { sendScimError } from '../http/scim-response';
import type { TenantTokenCache } from './tenant-token-cache';

// Compared against when the tenant doesn't exist, so unknown tenants take as long as bad tokens.
const NO_TENANT = Buffer.alloc(32);

/** Authenticates `Authorization: Bearer <tenant token>` for the tenant named in the URL. */
export function tenantAuth(tokens: TenantTokenCache): RequestHandler<{ tenantId: string }> {
  return async (req, res, next) => {
    const tenantId = req.params.tenantId;
    // One tenant URL: the id as issued (lowercase). Another spelling is no tenant's URL, so a
    // token can't be checked (or cached) under a second key that a rotation wouldn't evict.
    if (!isCanonicalUuid(tenantId)) {
      sendScimError(res, { status: 404, detail: 'No tenant at this URL; use the SCIM base URL exactly as issued' });
      return;
    }
    const token = bearerToken(req.get('authorization'));
    const hash = token ? await tokens.tokenHash(tenantId) : undefined;
    const valid = token !== undefined && tokenMatches(token, hash ?? NO_TENANT) && hash !== undefined;
    if (!valid) {
      res.set('WWW-Authenticate', 'Bearer realm="scimflow"');
      sendScimError(res, { status: 401, detail: 'Missing, invalid or revoked bearer token' });
      return;
    }
    setTenantId(res, tenantId);
    next();
  };
}
