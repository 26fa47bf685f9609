import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { tenantIdOf } from '../http/response-locals';
import { sendScimError } from '../http/scim-response';
import type { TenantBudgets } from './tenant-budgets';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Creates, replaces, patches and deletes are writes; GETs and `.search` POSTs are reads. */
export function isWrite(req: Request): boolean {
  return WRITE_METHODS.has(req.method) && !req.path.endsWith('/.search');
}

/**
 * Charges each SCIM request to its tenant's budget and answers 429 with an integer Retry-After
 * when it is spent. Writes and reads have separate budgets, so a tenant throttled mid-sync can
 * still pass the identity provider's "Test Connection" (a read). A write keeps its in-flight place
 * until its response is done.
 */
export function budgetGate(budgets: TenantBudgets): RequestHandler {
  return async (req, res, next) => {
    const tenantId = tenantIdOf(res);
    const write = isWrite(req);
    const admission = write ? await budgets.admitWrite(tenantId, randomUUID()) : await budgets.admitRead(tenantId);
    if (!admission.admitted) {
      res.set('Retry-After', String(admission.retryAfterSeconds));
      sendScimError(res, {
        status: 429,
        detail: `Too many ${write ? 'writes' : 'reads'} for this tenant: ${admission.reason}. Retry after ${admission.retryAfterSeconds} s`,
      });
      return;
    }
    if (write) res.once('close', () => admission.release());
    next();
  };
}
