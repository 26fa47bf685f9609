import type { RequestHandler } from 'express';
import { isUuid } from '@scimflow/db';
import { bearerToken, tokenMatches } from '../admin/tokens';
import { setTenantId } from '../http/response-locals';
import { sendScimError } from '../http/scim-response';
import type { TenantTokenCache } from './tenant-token-cache';

// Compared against when the tenant doesn't exist, so unknown tenants take as long as bad tokens.
const NO_TENANT = Buffer.alloc(32);

/** Authenticates `Authorization: Bearer <tenant token>` for the tenant named in the URL. */
export function tenantAuth(tokens: TenantTokenCache): RequestHandler<{ tenantId: string }> {
  return async (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    const tenantId = req.params.tenantId;
    const hash = token && isUuid(tenantId) ? await tokens.tokenHash(tenantId) : undefined;
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
