import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { tenantIdOf } from '../http/response-locals';
import { sendScimError } from '../http/scim-response';
import { OPERATION, RefusalTally, RESOURCE_PATH, type RejectionLog } from './rejection-log';
import type { TenantBudgets } from './tenant-budgets';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * A refusal is answered after a pause (at most this long, never past its Retry-After): a client
 * that ignores Retry-After and retries at once can't turn its refusals into a flood that slows
 * other tenants' requests on this ingress. Entra and Okta wait anyway.
 */
const MAX_HOLD_MS = 1_000;
/**
 * Each hold is shortened by a random part of up to this share: refusals that came together would
 * otherwise come back together. Measured (bench fairness, 20 s): a sync's 64 connections, refused
 * at once when its burst ran out, returned as one herd every ~1.04 s, and the small tenants' slow
 * writes were the ones that met a herd (p99 16 → 36 ms beside the sync).
 */
const HOLD_JITTER = 0.5;
/** Refusals held at once, at most; past that they are answered at once (sockets are the cost). */
const MAX_HELD = 2_000;

/**
 * Creates, replaces, patches and deletes are writes; GETs and `.search` POSTs are reads. A /Bulk
 * request is charged as a read: each of its operations is charged as a write when it runs.
 */
export function isWrite(req: Request): boolean {
  return WRITE_METHODS.has(req.method) && !req.path.endsWith('/.search') && req.path !== '/Bulk';
}

/**
 * Charges each SCIM request to its tenant's budget and answers 429 with an integer Retry-After
 * when it is spent. Writes and reads have separate budgets, so a tenant throttled mid-sync can
 * still pass the identity provider's "Test Connection" (a read). A write keeps its in-flight place
 * until its response is done. It runs before the body is parsed: a refusal costs almost nothing,
 * and the refused writes go to the provisioning log as one counted line per second, not a line
 * (and an insert) each.
 */
export function budgetGate(budgets: TenantBudgets, log: RejectionLog): RequestHandler {
  const tally = new RefusalTally(log);
  let held = 0;
  return async (req, res, next) => {
    const tenantId = tenantIdOf(res);
    const write = isWrite(req);
    const admission = write ? await budgets.admitWrite(tenantId, randomUUID()) : await budgets.admitRead(tenantId);
    if (!admission.admitted) {
      const answer = () => {
        res.set('Retry-After', String(admission.retryAfterSeconds));
        sendScimError(res, {
          status: 429,
          detail: `Too many ${write ? 'writes' : 'reads'} for this tenant: ${admission.reason}. Retry after ${admission.retryAfterSeconds} s`,
        });
      };
      if (held < MAX_HELD) {
        held++;
        setTimeout(
          () => {
            held--;
            if (!res.writableEnded && !res.destroyed) answer();
          },
          Math.min(MAX_HOLD_MS, admission.retryAfterSeconds * 1000) * (1 - HOLD_JITTER * Math.random()),
        );
      } else answer();
      const resource = RESOURCE_PATH.exec(req.path)?.[1];
      const operation = OPERATION[req.method];
      if (write && resource && operation)
        tally.count({
          tenantId,
          operation,
          resourceType: resource === 'Users' ? 'User' : 'Group',
          httpStatus: 429,
          describe: (count, seconds) =>
            `${count} ${count === 1 ? 'write' : 'writes'} answered 429 in ${seconds} s: ${admission.reason}`,
        });
      return;
    }
    if (write) res.once('close', () => admission.release());
    next();
  };
}
