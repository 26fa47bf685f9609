import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '@scimflow/db';
import { ScimError, searchFromQuery, type BulkLimits, type SearchRequest } from '@scimflow/scim';
import type { Logger } from '@scimflow/telemetry';
import type { CommandBus } from '../command-bus';
import { scimBaseUrl } from '../admin/tenant-admin';
import type { CredentialThrottle } from './credential-throttle';
import type { RejectionLog } from './rejection-log';
import type { TenantBudgets } from './tenant-budgets';
import type { TenantTokenCache } from './tenant-token-cache';
import { tenantIdOf } from '../http/response-locals';
import type { ReadDeps } from './resource-reads';
import type { ResourceLookups } from './resource-lookups';

export interface ScimDeps {
  readonly db: Db;
  readonly bus: CommandBus;
  readonly publicUrl: string;
  readonly tokens: TenantTokenCache;
  readonly budgets: TenantBudgets;
  readonly rejections: RejectionLog;
  readonly credentials: CredentialThrottle;
  readonly authFailuresPerMinute: number;
  /** The JSON body parser: run after authentication and the budget, so a refused request costs no parse. */
  readonly parseJson: RequestHandler;
  /** What /Bulk accepts, as ServiceProviderConfig advertises it. */
  readonly bulkLimits: BulkLimits;
  readonly lookups: ResourceLookups;
  readonly logger: Logger;
}

export function readDeps(deps: ScimDeps, res: Response): ReadDeps {
  const tenantId = tenantIdOf(res);
  return { db: deps.db, tenantId, base: scimBaseUrl(deps.publicUrl, tenantId), lookups: deps.lookups };
}

/** `attributes` / `excludedAttributes` on any request (RFC 7644 §3.9 applies them to write responses too). */
export function projectionRequest(req: Request): SearchRequest {
  const { attributes, excludedAttributes } = req.query;
  return searchFromQuery({ attributes, excludedAttributes });
}

export function wantsBody(req: Request): boolean {
  return req.query.attributes !== undefined || req.query.excludedAttributes !== undefined;
}

/** The `:id` of a resource route (absent on /Users and /Groups themselves). */
export function pathId(req: Request): string | undefined {
  const id: unknown = req.params.id;
  return typeof id === 'string' ? id : undefined;
}

export function ifMatch(req: Request): { ifMatch?: string } {
  const header = req.get('if-match');
  return header === undefined ? {} : { ifMatch: header };
}

/** The media types read as JSON (RFC 7644 §3.1: application/scim+json; clients also send application/json). */
export const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

export function requireBody(req: Request): unknown {
  if (req.body !== undefined) return req.body;
  if (req.get('content-type') && !req.is(JSON_TYPES)) {
    throw new ScimError(415, 'Send the body as application/scim+json or application/json');
  }
  throw ScimError.badRequest('invalidSyntax', 'The request needs a JSON body');
}
