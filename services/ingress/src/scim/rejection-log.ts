import type { RequestHandler } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { isUuid, recordLogEntries, type Db, type LogEntry } from '@scimflow/db';
import { isJsonObject } from '@scimflow/scim';
import { currentTraceparent, type Logger } from '@scimflow/telemetry';
import { isAnsweredByWorker, scimErrorOf, tenantIdOf } from '../http/response-locals';

const OPERATION: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'replace',
  PATCH: 'patch',
  DELETE: 'delete',
};
const RESOURCE_PATH = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/;

/**
 * Logs the writes the ingress refused itself (a malformed body, an unknown attribute, a queue
 * that was down: they never reached the worker), so every rejected write is in the tenant's log
 * and reaches the notifier. Runs after tenant authentication: unauthenticated noise is not a tenant's.
 */
export function rejectionLog(db: Db, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const operation = OPERATION[req.method];
    const match = operation ? RESOURCE_PATH.exec(req.path) : null;
    // POST /Users/.search is a read.
    if (!operation || !match || match[2] === '.search') return next();
    const started = performance.now();
    const traceId = currentTraceparent()?.split('-')[1];
    res.once('finish', () => {
      if (res.statusCode < 400 || isAnsweredByWorker(res)) return;
      const error = scimErrorOf(res);
      const resourceType = match[1] === 'Users' ? 'User' : 'Group';
      const body: unknown = req.body;
      const name = isJsonObject(body) ? body[resourceType === 'User' ? 'userName' : 'displayName'] : undefined;
      const externalId = isJsonObject(body) ? body.externalId : undefined;
      const entry: LogEntry = {
        tenantId: tenantIdOf(res),
        id: uuidv7(),
        operation,
        resourceType,
        ...(match[2] && isUuid(match[2]) ? { resourceId: match[2] } : {}),
        ...(typeof name === 'string' ? { resourceName: name } : {}),
        ...(typeof externalId === 'string' ? { externalId } : {}),
        outcome: 'failure',
        httpStatus: res.statusCode,
        ...(error?.scimType ? { scimType: error.scimType } : {}),
        ...(error?.detail ? { detail: error.detail } : {}),
        durationMs: performance.now() - started,
        ...(traceId ? { traceId } : {}),
      };
      db.transaction()
        .execute((trx) => recordLogEntries(trx, [entry]))
        .catch((err: unknown) => logger.warn({ err, status: res.statusCode }, 'could not log a rejected write'));
    });
    next();
  };
}
