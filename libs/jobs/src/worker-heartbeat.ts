import type { RedisClient } from './redis-connection';

const BEAT_MS = 5_000;
/** A worker not heard from for this long is not consuming (three missed beats). */
const STALE_MS = 15_000;

/** One sorted set per queue prefix (inside its `{…}` slot): member = worker instance, score = last beat. */
function heartbeatKey(queuePrefix: string): string {
  return `${queuePrefix}:workers`;
}

/**
 * Tells every ingress that this worker is consuming, so readiness can say "no worker" instead of
 * letting every write time out into a 503 (issue 11). Scores are the workers' own clocks: skew
 * between hosts below STALE_MS is harmless. Returns the stop function (which removes the entry).
 */
export function startWorkerHeartbeat(redis: RedisClient, queuePrefix: string, instanceId: string): () => Promise<void> {
  const key = heartbeatKey(queuePrefix);
  const beat = () => {
    // Only while connected: beats queued during an outage would claim a liveness nobody had.
    if (redis.status !== 'ready') return;
    const now = Date.now();
    redis
      .multi()
      .zadd(key, now, instanceId)
      .zremrangebyscore(key, '-inf', now - STALE_MS)
      .pexpire(key, STALE_MS * 4)
      .exec()
      .catch(() => undefined);
  };
  beat();
  redis.on('ready', beat);
  const timer = setInterval(beat, BEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    redis.off('ready', beat);
    await redis.zrem(key, instanceId).catch(() => undefined);
  };
}

/** How many workers have beaten within STALE_MS. */
export async function liveWorkers(redis: RedisClient, queuePrefix: string): Promise<number> {
  return redis.zcount(heartbeatKey(queuePrefix), Date.now() - STALE_MS, '+inf');
}
