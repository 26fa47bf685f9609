import type { RequestHandler } from 'express';
import type { Logger } from '@scimflow/telemetry';
import { knownTenantIdOf, requestIdOf } from './response-locals';

/**
 * One line per request: method, path, status, duration, request id, tenant (once authenticated)
 * and user agent (which identity provider it was). Never other headers (tokens) or bodies
 * (personal data, Okta's passwords). The level says whether an operator has something to do:
 * successes at debug (an initial sync is tens of thousands of them); a client's mistakes (4xx)
 * and 503s at info — a 503 means a dependency is away, which the outage log reports once when it
 * starts, as a summary and when it ends, not once per refused request (issue 10); any other 5xx
 * at error. Costs one listener when disabled.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 && status !== 503 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      const path = req.originalUrl.split('?')[0];
      const ms = Math.round(performance.now() - started);
      const tenantId = knownTenantIdOf(res);
      const userAgent = req.get('user-agent')?.slice(0, 200);
      logger[level](
        {
          method: req.method,
          path,
          status,
          ms,
          requestId: requestIdOf(res),
          ...(tenantId ? { tenantId } : {}),
          ...(userAgent ? { userAgent } : {}),
        },
        'request',
      );
    });
    next();
  };
}
