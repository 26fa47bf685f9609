import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDatabaseUnavailable, isDataException, isSchemaMissing } from '@scimflow/db';
import { ScimError } from '@scimflow/scim';
import type { Logger } from '@scimflow/telemetry';
import { CommandUnavailableError, TenantBackloggedError } from '../command-bus';
import { sendScimError } from './scim-response';

/** Seconds a client should wait before retrying a 503; Entra and Okta honour Retry-After. */
export const RETRY_AFTER_SECONDS = 2;

/** body-parser tags its errors with `type`; each is the client's fault, never a 5xx. */
function bodyParserError(error: unknown): ScimError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error) || typeof error.type !== 'string')
    return undefined;
  switch (error.type) {
    case 'entity.too.large':
      return new ScimError(
        413,
        'limit' in error && typeof error.limit === 'number'
          ? `The request body is larger than this endpoint accepts (${error.limit} bytes)`
          : 'The request body is larger than this service accepts',
      );
    case 'entity.parse.failed':
      return ScimError.badRequest('invalidSyntax', 'The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ScimError(415, 'Unsupported body encoding or charset; send UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return ScimError.badRequest('invalidSyntax', 'The request body could not be read');
    default:
      return undefined;
  }
}

/** Express and its parsers mark client errors (a malformed %-escape, a corrupt gzip body) with a 4xx `status`. */
function clientError(error: unknown): ScimError | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error) || typeof error.status !== 'number')
    return undefined;
  if (error.status < 400 || error.status > 499) return undefined;
  return new ScimError(
    error.status,
    error.status === 400 ? 'The request is malformed' : 'The request cannot be processed',
  );
}

/** A thrown error as the SCIM error its client gets, and the Retry-After it carries, if any. */
export interface ClientAnswer {
  readonly error: ScimError;
  readonly retryAfterSeconds?: number;
}

/** What any error becomes on the wire; 500 only for what nothing here recognises (logged). */
export function answerFor(error: unknown, logger: Logger, where: { method: string; path: string }): ClientAnswer {
  if (error instanceof CommandUnavailableError)
    return { error: new ScimError(503, error.message), retryAfterSeconds: RETRY_AFTER_SECONDS };
  if (error instanceof TenantBackloggedError)
    return { error: new ScimError(429, error.message), retryAfterSeconds: RETRY_AFTER_SECONDS };
  const scim = error instanceof ScimError ? error : (bodyParserError(error) ?? clientError(error));
  if (scim) return { error: scim };
  if (isDatabaseUnavailable(error))
    // Postgres is down or out of connections: reads, writes and authentication alike say so.
    return {
      error: new ScimError(503, 'The database is unavailable; try again shortly'),
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  if (isSchemaMissing(error))
    return {
      error: new ScimError(503, 'The database schema is not migrated yet; the operator must run the migrations'),
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  if (isDataException(error)) {
    logger.warn({ err: error, ...where }, 'a request value reached Postgres unvalidated');
    return { error: ScimError.badRequest('invalidValue', 'A value in the request cannot be used') };
  }
  logger.error({ err: error, ...where }, 'unhandled error');
  return { error: new ScimError(500, 'Internal server error') };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  // Four parameters: that is how Express tells an error handler from a middleware.
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      // A response already under way can't become an error; the connection is ended instead.
      if (!(error instanceof Error && error.name === 'ClientGoneError'))
        logger.warn({ err: error, path: req.path }, 'response failed mid-stream');
      res.destroy();
      return;
    }
    const answer = answerFor(error, logger, { method: req.method, path: req.path });
    if (answer.retryAfterSeconds !== undefined) res.set('Retry-After', String(answer.retryAfterSeconds));
    sendScimError(res, answer.error.toData());
  };
}

export const notFound: RequestHandler = (req, res) => {
  sendScimError(res, { status: 404, detail: `No endpoint at ${req.method} ${req.path}` });
};
