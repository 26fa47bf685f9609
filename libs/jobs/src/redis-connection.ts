import { Redis, type RedisOptions } from 'ioredis';

/**
 * - producer: fails fast when Redis is away (no offline queue), so the ingress answers 503
 *   at once instead of queueing writes in memory (BullMQ: "Going to production").
 * - worker / subscriber: retries forever (`maxRetriesPerRequest: null`), as BullMQ workers require.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

export function createRedis(url: string, role: RedisRole, name: string): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? // commandTimeout bounds a request even on a half-open connection that never answers.
        { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const redis = new Redis(url, {
    ...options,
    connectionName: name,
    // Reconnect quickly at first, then every 2 s while Redis is down.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  });
  // ioredis reports connection errors as events; without a listener Node would crash on them.
  redis.on('error', () => undefined);
  return redis;
}
