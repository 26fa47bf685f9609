import type { Response } from 'express';
import type { ScimErrorData } from '@scimflow/scim';

/**
 * What a request's handlers tell each other through `res.locals`, typed in one place: the
 * authenticated tenant, the SCIM error the response carries, and whether the worker answered.
 */
interface ScimLocals {
  requestId?: string;
  tenantId?: string;
  scimError?: ScimErrorData;
  /** The worker decided this answer and logged it in its own transaction. */
  answeredByWorker?: boolean;
}

function localsOf(res: Response): ScimLocals {
  // Express types `res.locals` as an open record; these are the only keys scimflow puts there.
  const locals: ScimLocals = res.locals;
  return locals;
}

export function setRequestId(res: Response, requestId: string): void {
  localsOf(res).requestId = requestId;
}

/** The id `requestId` gave this request (undefined only for a response it never saw). */
export function requestIdOf(res: Response): string | undefined {
  return localsOf(res).requestId;
}

/** Who a command comes from: the authenticated tenant and the request that carries it. */
export function senderOf(res: Response): { tenantId: string; requestId?: string } {
  const { requestId: id } = localsOf(res);
  return { tenantId: tenantIdOf(res), ...(id === undefined ? {} : { requestId: id }) };
}

export function setTenantId(res: Response, tenantId: string): void {
  localsOf(res).tenantId = tenantId;
}

/** The authenticated tenant, if this request had one (for log lines of any request). */
export function knownTenantIdOf(res: Response): string | undefined {
  return localsOf(res).tenantId;
}

export function tenantIdOf(res: Response): string {
  const { tenantId } = localsOf(res);
  if (tenantId === undefined) throw new Error('tenantAuth must run before this handler');
  return tenantId;
}

/** Marks a response as the worker's answer: the worker logged it in its own transaction. */
export function answeredByWorker(res: Response): void {
  localsOf(res).answeredByWorker = true;
}

export function isAnsweredByWorker(res: Response): boolean {
  return localsOf(res).answeredByWorker === true;
}

/** Remembers the SCIM error a response carries, for the rejection log. */
export function noteScimError(res: Response, error: ScimErrorData): void {
  localsOf(res).scimError = error;
}

export function scimErrorOf(res: Response): ScimErrorData | undefined {
  return localsOf(res).scimError;
}
