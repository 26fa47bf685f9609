import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * - producer: fails fast when Redis is away (no offline queue), so the ingress answers 503
 *   at once instead of queueing writes in memory (BullMQ: "Going to production"); auto-pipelined.
 * - queue-producer: the same, for a BullMQ Queue, without auto-pipelining: BullMQ defines its 64
 *   scripts on the connection, and ioredis copies every one into each tick's pipeline (26 µs per
 *   tick against 2 µs on a connection without them; 7% of the ingress's CPU at 100 writes/s).
 * - worker / subscriber: retries forever (`maxRetriesPerRequest: null`), as BullMQ workers require.
 */
export type RedisRole = 'producer' | 'queue-producer' | 'worker' | 'subscriber';

/** Where Redis is: one server, or the seed nodes of a Redis Cluster (or Valkey cluster). */
export type RedisTarget = { readonly url: string } | ClusterTarget;

export interface ClusterTarget {
  readonly clusterNodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls?: boolean;
}

/** A connection to either; BullMQ, pub/sub and scripts work the same on both. */
export type RedisClient = Redis | Cluster;

export function createRedis(target: RedisTarget, role: RedisRole, name: string): RedisClient {
  const failFast = role === 'producer' || role === 'queue-producer';
  const options: RedisOptions = {
    ...(failFast
      ? // commandTimeout bounds a request even on a half-open connection that never answers.
        { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true }),
    connectionName: name,
    // Commands issued in the same tick share one socket write: under load, concurrent requests'
    // budget checks and queue adds cost a syscall per tick instead of one each (measured: socket
    // writes were a third of the ingress's CPU). Not for blocking connections (BullMQ workers'),
    // nor for a Queue's (see queue-producer).
    ...(role === 'producer' ? { enableAutoPipelining: true } : {}),
    // Reconnect quickly at first, then every 2 s while Redis is down.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
  const redis =
    'url' in target
      ? new Redis(target.url, options)
      : new Cluster([...target.clusterNodes], {
          redisOptions: {
            ...options,
            ...(target.username ? { username: target.username } : {}),
            ...(target.password ? { password: target.password } : {}),
            ...(target.tls ? { tls: {} } : {}),
          },
          // Managed clusters with TLS announce node names their certificates are issued for.
          ...(target.tls ? { dnsLookup: keepHostName } : {}),
          enableOfflineQueue: !failFast,
          clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
        });
  // ioredis reports connection errors as events; without a listener Node would crash on them.
  redis.on('error', () => undefined);
  return redis;
}

function keepHostName(address: string, done: (error: null, address: string) => void): void {
  done(null, address);
}

/** Whether an error is Redis (or the way to it) being away, rather than a command that failed. */
export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return (
    /^E[A-Z]+$/.test(code) ||
    /connection is closed|stream isn't writeable|max retries|CLUSTERDOWN|ready check/i.test(error.message)
  );
}

/** Reports a connection's outages to `outage` (once per state change): `down` on errors, `up` when ready. */
export function watchRedis(client: RedisClient, outage: { failed(error: unknown): void; recovered(): void }): void {
  client.on('error', (error: unknown) => outage.failed(error));
  client.on('ready', () => outage.recovered());
}
