import { isDatabaseUnavailable } from '@scimflow/db';
import { isRedisConnectionError } from '@scimflow/jobs';
import { outageLog, type Logger, type OutageLog } from '@scimflow/telemetry';

/** The worker's two dependencies: each outage is logged when it starts, summarised, and when it ends. */
export interface Outages {
  readonly redis: OutageLog;
  readonly postgres: OutageLog;
  /** An error that is part of an outage goes to it; any other is logged as itself (warn). */
  report(error: unknown, message: string, fields?: Record<string, unknown>): void;
}

export function workerOutages(logger: Logger): Outages {
  const redis = outageLog(logger, 'Redis');
  const postgres = outageLog(logger, 'Postgres');
  return {
    redis,
    postgres,
    report(error, message, fields = {}) {
      if (isRedisConnectionError(error)) redis.failed(error);
      else if (isDatabaseUnavailable(error)) postgres.failed(error);
      else logger.warn({ err: error, ...fields }, message);
    },
  };
}
