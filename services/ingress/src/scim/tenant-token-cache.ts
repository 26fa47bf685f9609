import { findTenantTokenHash, NotifiedCache, TENANT_AUTH_CHANNEL, type Db } from '@scimflow/db';
import type { Logger } from '@scimflow/telemetry';

const TTL_MS = 60_000;

/**
 * Keeps tenants' token hashes in memory so a SCIM request costs no extra query. A rotation
 * commits a NOTIFY that evicts the entry on every ingress at once; while the LISTEN connection
 * is down the cache is bypassed, so a rotated token can never keep working from a stale copy.
 */
export class TenantTokenCache {
  private readonly cache: NotifiedCache<Buffer>;

  constructor(
    db: Db,
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.cache = new NotifiedCache({
      databaseUrl,
      channel: TENANT_AUTH_CHANNEL,
      applicationName: 'scimflow-ingress-listen',
      ttlMs: TTL_MS,
      load: async ([tenantId]) => {
        const hash = tenantId === undefined ? undefined : await findTenantTokenHash(db, tenantId);
        return new Map(tenantId !== undefined && hash ? [[tenantId, hash]] : []);
      },
      onLost: () => this.logger.warn('token cache listener lost; reading tokens from the database until it is back'),
    });
  }

  async start(): Promise<void> {
    await this.cache.start().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'token cache listener unavailable; reading tokens from the database');
    });
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  /** The tenant's token hash, or undefined for an unknown tenant. */
  tokenHash(tenantId: string): Promise<Buffer | undefined> {
    return this.cache.get(tenantId);
  }

  /** Called by this instance after it rotated a token itself, before the NOTIFY arrives. */
  evict(tenantId: string): void {
    this.cache.evict(tenantId);
  }
}
