import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '@scimflow/jobs';

/**
 * Counts bad credentials (401s) per client address in Redis, so every ingress agrees: past
 * `perMinute` in a minute, that address's bad tokens are answered 429 with Retry-After until the
 * minute is over. Only failures are counted and only failures are refused — a good token is
 * checked as always and never waits for Redis — so one noisy address (Entra's egress is shared by
 * many tenants) can't lock a tenant out. Tokens are 256 random bits: this bounds the noise and
 * the work a credential flood costs, not the odds of a guess, which are nil either way.
 */
export class CredentialThrottle {
  private readonly limiter: RateLimiterRedis;

  constructor(options: { redis: RedisClient; prefix: string; perMinute: number }) {
    this.limiter = new RateLimiterRedis({
      storeClient: options.redis,
      // One key per address (`<prefix>:auth-failures:<address>`), spread over a cluster's slots.
      keyPrefix: `${options.prefix}:auth-failures`,
      points: options.perMinute,
      duration: 60,
    });
  }

  /**
   * Records a bad credential from `address`: the seconds to wait when it is over its allowance,
   * undefined when it may still be told 401. Redis unreachable: 401 (the throttle is a guard, not
   * a dependency of authentication).
   */
  async failed(address: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(address);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      return undefined;
    }
  }
}
