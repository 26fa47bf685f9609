import type { RequestHandler, Response } from 'express';
import { isUuid, recordLogEntries, type Db, type LogEntry, uuidv7 } from '@scimflow/db';
import { isJsonObject, type ScimErrorData } from '@scimflow/scim';
import { currentTraceparent, type Logger } from '@scimflow/telemetry';
import { isAnsweredByWorker, requestIdOf, scimErrorOf, tenantIdOf } from '../http/response-locals';

export const OPERATION: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'replace',
  PATCH: 'patch',
  DELETE: 'delete',
};
export const RESOURCE_PATH = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/;

/** Lines waiting for the next flush at most; a refusal storm (429s) can't grow memory past this. */
const MAX_BUFFERED = 5_000;

/**
 * Logs the writes the ingress refused itself (a malformed body, an unknown attribute, over budget,
 * a queue that was down: they never reached the worker), so every rejected write is in the
 * tenant's log and reaches the notifier. Group commit: a lone line is written at once, and lines
 * arriving while a write is under way go together in the next one, so a tenant hammering at its
 * limit costs an insert per batch, not per request.
 */
function withRequestId(res: Response): { requestId?: string } {
  const id = requestIdOf(res);
  return id === undefined ? {} : { requestId: id };
}

/** A write the ingress answered itself with an error. */
export interface Refusal {
  readonly tenantId: string;
  readonly operation: string;
  readonly resourceType: 'User' | 'Group';
  readonly resourceId?: string;
  readonly body: unknown;
  readonly error: ScimErrorData;
  readonly durationMs: number;
  readonly traceId?: string;
  readonly requestId?: string;
}

export class RejectionLog {
  private buffer: LogEntry[] = [];
  private dropped = 0;
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Runs after tenant authentication: unauthenticated noise is not a tenant's. */
  middleware(): RequestHandler {
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
        this.recordRefusal({
          tenantId: tenantIdOf(res),
          operation,
          resourceType: match[1] === 'Users' ? 'User' : 'Group',
          ...(match[2] === undefined ? {} : { resourceId: match[2] }),
          body: req.body,
          error: error ?? { status: res.statusCode, detail: '' },
          durationMs: performance.now() - started,
          ...(traceId ? { traceId } : {}),
          ...withRequestId(res),
        });
      });
      next();
    };
  }

  /** Writes what is buffered, then whatever arrived meanwhile. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const entries = this.buffer;
      this.buffer = [];
      this.flushing = this.db
        .transaction()
        .execute((trx) => recordLogEntries(trx, entries))
        .catch((err: unknown) => this.logger.warn({ err, lines: entries.length }, 'could not log rejected writes'))
        .finally(() => {
          this.flushing = undefined;
        });
      await this.flushing;
    }
  }

  /** On shutdown, after the last response. */
  async stop(): Promise<void> {
    await this.flush();
    if (this.dropped > 0) this.logger.warn({ dropped: this.dropped }, 'rejected writes not logged (buffer full)');
  }

  /** A write the ingress refused itself, named by what its body says (never the body itself). */
  recordRefusal(refusal: Refusal): void {
    const { body, error } = refusal;
    const name = isJsonObject(body) ? body[refusal.resourceType === 'User' ? 'userName' : 'displayName'] : undefined;
    const externalId = isJsonObject(body) ? body.externalId : undefined;
    this.add({
      tenantId: refusal.tenantId,
      id: uuidv7(),
      operation: refusal.operation,
      resourceType: refusal.resourceType,
      ...(refusal.resourceId && isUuid(refusal.resourceId) ? { resourceId: refusal.resourceId.toLowerCase() } : {}),
      ...(typeof name === 'string' ? { resourceName: name } : {}),
      ...(typeof externalId === 'string' ? { externalId } : {}),
      outcome: 'failure',
      httpStatus: error.status,
      ...(error.scimType ? { scimType: error.scimType } : {}),
      ...(error.detail ? { detail: error.detail } : {}),
      durationMs: refusal.durationMs,
      ...(refusal.traceId ? { traceId: refusal.traceId } : {}),
      ...(refusal.requestId ? { requestId: refusal.requestId } : {}),
    });
  }

  /** Adds a line the ingress decided itself (the budget gate's 429 counts). */
  record(entry: LogEntry): void {
    this.add(entry);
  }

  private add(entry: LogEntry): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    this.buffer.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }
}

/** What a counted refusal line says: the request kind, counted per tenant and interval. */
export interface CountedRefusal {
  readonly tenantId: string;
  readonly operation: string;
  readonly resourceType: string;
  readonly httpStatus: number;
  /** `n => "3 writes answered 429: over the rate"`. */
  readonly describe: (count: number, seconds: number) => string;
}

/**
 * Refusals answered by the thousand (429s) go to the provisioning log as one counted line per
 * tenant, kind and interval, not a line (and an insert) each. A counted line stands for many
 * requests, so it names none of them.
 */
export class RefusalTally {
  private readonly lines = new Map<string, { refusal: CountedRefusal; count: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: RejectionLog,
    private readonly everyMs = 1_000,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  count(refusal: CountedRefusal): void {
    const key = `${refusal.tenantId} ${refusal.operation} ${refusal.resourceType} ${refusal.httpStatus}`;
    const line = this.lines.get(key);
    if (line) line.count++;
    else this.lines.set(key, { refusal, count: 1 });
  }

  private flush(): void {
    for (const { refusal, count } of this.lines.values()) {
      this.log.record({
        tenantId: refusal.tenantId,
        id: uuidv7(),
        operation: refusal.operation,
        resourceType: refusal.resourceType,
        outcome: 'failure',
        httpStatus: refusal.httpStatus,
        detail: refusal.describe(count, this.everyMs / 1000),
      });
    }
    this.lines.clear();
  }
}
