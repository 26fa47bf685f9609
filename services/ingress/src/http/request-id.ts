import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { currentTraceparent } from '@scimflow/telemetry';
import { setRequestId } from './response-locals';

/**
 * Names every request: `X-Request-Id` on the response, `requestId` on its access-log and
 * provisioning-log lines. The trace id when tracing is on (one id finds the request in Jaeger
 * too), otherwise 32 random hex digits of the same shape. Never taken from the client: a log
 * line's id must be one this service issued.
 */
export const requestId: RequestHandler = (_req, res, next) => {
  const id = currentTraceparent()?.split('-')[1] ?? randomUUID().replaceAll('-', '');
  setRequestId(res, id);
  res.setHeader('X-Request-Id', id);
  next();
};
