import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  formatVersion,
  parseBulkRequest,
  resolveBulkIds,
  scimErrorBody,
  ScimError,
  Urn,
  type BulkOperation,
  type JsonObject,
} from '@scimflow/scim';
import { currentTraceparent } from '@scimflow/telemetry';
import { answerFor, RETRY_AFTER_SECONDS } from '../http/error-handler';
import { senderOf } from '../http/response-locals';
import { sendScim } from '../http/scim-response';
import { runBulk, type BulkResult } from './bulk-run';
import { OPERATION } from './rejection-log';
import { JSON_TYPES, readDeps, requireBody, type ScimDeps } from './scim-context';
import { groupCommand, userCommand } from './write-commands';

/** Operations of one bulk request in flight at once: a tenant's bulk can't take every batch slot. */
const BULK_CONCURRENCY = 16;

/** /Bulk's own parser: its body limit is maxPayloadSize, which body-parser answers with 413 (§3.7.4). */
export function bulkJsonParser(maxPayloadSize: number) {
  return express.json({ type: JSON_TYPES, limit: maxPayloadSize });
}

/**
 * RFC 7644 §3.7: POST /Bulk. Each operation goes through the command pipeline a single request
 * does — the same checks, the same command, the worker's own transaction (atomic per operation)
 * and the tenant's write budget, charged per operation. The response is 200 with one result per
 * operation processed, in request order (§3.7.3).
 */
export function registerBulkRoutes(router: Router, prefix: string, deps: ScimDeps): void {
  router.post(`${prefix}/Bulk`, async (req, res) => {
    const request = parseBulkRequest(requireBody(req), deps.bulkLimits.maxOperations);
    const execute = operationRunner(deps, req, res);
    const results = await runBulk(request, execute.run, {
      concurrency: BULK_CONCURRENCY,
      stillWanted: () => !res.destroyed && !res.writableEnded,
      refuse: (operation, error) => execute.refuse(operation, error, performance.now()),
    });
    const { base } = readDeps(deps, res);
    const answered = request.operations.flatMap((operation) => {
      const result = results.get(operation.index);
      return result ? [bulkResponseOperation(operation, result, base)] : [];
    });
    if (execute.retryAfter()) res.setHeader('Retry-After', String(execute.retryAfter()));
    sendScim(res, 200, { schemas: [Urn.BulkResponse], Operations: answered });
  });
}

/**
 * Runs operations for one bulk request: charges each to the tenant's write budget (once it is
 * spent, the rest are answered 429 without asking again), sends its command, and logs the refusals
 * the ingress decides itself (the worker logs what it applies or refuses).
 */
function operationRunner(deps: ScimDeps, req: Request, res: Response) {
  const sender = senderOf(res);
  const traceId = currentTraceparent()?.split('-')[1];
  let spent: ScimError | undefined;
  let retryAfter = 0;

  const refuse = (
    operation: BulkOperation,
    error: unknown,
    started: number,
    id = targetIdOf(operation),
  ): BulkResult => {
    const answer = answerFor(error, deps.logger, { method: operation.method, path: `${req.path}#${operation.index}` });
    if (answer.retryAfterSeconds !== undefined) retryAfter = Math.max(retryAfter, answer.retryAfterSeconds);
    const data = answer.error.toData();
    deps.rejections.recordRefusal({
      tenantId: sender.tenantId,
      operation: OPERATION[operation.method] ?? operation.method,
      resourceType: operation.endpoint === 'Users' ? 'User' : 'Group',
      ...(id === undefined ? {} : { resourceId: id }),
      body: operation.data,
      error: data,
      durationMs: performance.now() - started,
      ...(traceId ? { traceId } : {}),
      ...(sender.requestId ? { requestId: sender.requestId } : {}),
    });
    return { ok: false, error: data };
  };

  const run = async (operation: BulkOperation, ids: ReadonlyMap<string, string>): Promise<BulkResult> => {
    const started = performance.now();
    const target = operation.target;
    const id = target === undefined ? undefined : 'id' in target ? target.id : ids.get(target.bulkId);
    if (spent) return refuse(operation, spent, started, id);
    const admission = await deps.budgets.admitWrite(sender.tenantId, randomUUID());
    if (!admission.admitted) {
      retryAfter = Math.max(retryAfter, admission.retryAfterSeconds);
      spent = new ScimError(
        429,
        `Too many writes for this tenant: ${admission.reason}. Retry after ${admission.retryAfterSeconds} s`,
      );
      return refuse(operation, spent, started, id);
    }
    try {
      const data: JsonObject | undefined = operation.data && resolveBulkIds(operation.data, ids);
      const write = {
        method: operation.method,
        ...(id === undefined ? {} : { id }),
        body: () => data,
        ...(operation.version === undefined ? {} : { ifMatch: operation.version }),
      };
      const command = operation.endpoint === 'Users' ? userCommand(write) : groupCommand(write);
      const outcome = await deps.bus.send(sender, command);
      if (!outcome.ok) {
        if (outcome.error.status === 503) retryAfter = Math.max(retryAfter, RETRY_AFTER_SECONDS);
        return { ok: false, error: outcome.error };
      }
      const resourceId = outcome.resource?.id ?? id;
      return {
        ok: true,
        status: outcome.status,
        ...(resourceId === undefined ? {} : { id: resourceId }),
        ...(outcome.resource ? { version: outcome.resource.version } : {}),
      };
    } catch (error) {
      return refuse(operation, error, started, id);
    } finally {
      admission.release();
    }
  };
  return { run, refuse, retryAfter: () => retryAfter };
}

function targetIdOf(operation: BulkOperation): string | undefined {
  return operation.target && 'id' in operation.target ? operation.target.id : undefined;
}

/** §3.7.3: `status` is a string; `location` and `version` for what was done, `response` the error otherwise. */
function bulkResponseOperation(operation: BulkOperation, result: BulkResult, base: string): JsonObject {
  const head: JsonObject = { method: operation.method, ...(operation.bulkId ? { bulkId: operation.bulkId } : {}) };
  if (!result.ok) return { ...head, status: String(result.error.status), response: { ...scimErrorBody(result.error) } };
  return {
    ...head,
    ...(result.id === undefined ? {} : { location: `${base}/${operation.endpoint}/${result.id}` }),
    ...(result.version === undefined ? {} : { version: formatVersion(result.version) }),
    status: String(result.status),
  };
}
