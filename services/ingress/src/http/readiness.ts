import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Db } from '@scimflow/db';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: { readonly postgres: 'up' | 'down'; readonly redis: 'up' | 'down' };
}

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref())]);
}

/** Postgres answers a query and Redis a PING, each within a bounded time. */
export async function checkReadiness(db: Db, redis: Redis): Promise<ReadinessReport> {
  const [postgres, queue] = await Promise.all([
    withTimeout(sql`select 1`.execute(db)).then(
      () => 'up' as const,
      () => 'down' as const,
    ),
    withTimeout(redis.ping()).then(
      () => 'up' as const,
      () => 'down' as const,
    ),
  ]);
  return { ready: postgres === 'up' && queue === 'up', checks: { postgres, redis: queue } };
}
