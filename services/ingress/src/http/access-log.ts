import type { RequestHandler } from 'express';
import type { Logger } from '@scimflow/telemetry';
import { requestIdOf } from './response-locals';

/**
 * One line per request: method, path, status, duration. Never headers (tokens) or bodies
 * (personal data, Okta's passwords). Successes log at debug, since an initial sync is tens of
 * thousands of them; failures at warn (4xx) or error (5xx). Costs one listener when disabled.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      const path = req.originalUrl.split('?')[0];
      const ms = Math.round(performance.now() - started);
      logger[level]({ method: req.method, path, status, ms, requestId: requestIdOf(res) }, 'request');
    });
    next();
  };
}
