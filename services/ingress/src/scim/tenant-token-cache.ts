import {
  findTenantCredentials,
  NotifiedCache,
  TENANT_AUTH_CHANNEL,
  touchTenantToken,
  type Db,
  type TenantCredentials,
} from '@scimflow/db';
import type { Logger } from '@scimflow/telemetry';

const TTL_MS = 60_000;

/**
 * Keeps tenants' token hashes in memory so a SCIM request costs no extra query. A rotation
 * commits a NOTIFY that evicts the entry on every ingress at once; while the LISTEN connection
 * is down the cache is bypassed, so a rotated token can never keep working from a stale copy.
 */
export class TenantTokenCache {
  private readonly cache: NotifiedCache<TenantCredentials>;
  /** When this process last recorded each tenant's token as used. */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Db,
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.cache = new NotifiedCache({
      databaseUrl,
      channel: TENANT_AUTH_CHANNEL,
      applicationName: 'scimflow-ingress-listen',
      ttlMs: TTL_MS,
      load: async ([tenantId]) => {
        const credentials = tenantId === undefined ? undefined : await findTenantCredentials(db, tenantId);
        return new Map(tenantId !== undefined && credentials ? [[tenantId, credentials]] : []);
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

  /** The tenant's valid token hashes and state, or undefined for an unknown tenant. */
  credentials(tenantId: string): Promise<TenantCredentials | undefined> {
    return this.cache.get(tenantId);
  }

  /** Records "token last used" for the inventory: one write per tenant and minute per ingress. */
  used(tenantId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(tenantId) ?? 0) < 60_000) return;
    if (this.touched.size > 100_000) this.touched.clear();
    this.touched.set(tenantId, now);
    touchTenantToken(this.db, tenantId).catch(() => this.touched.delete(tenantId));
  }

  /** Called by this instance after it rotated a token itself, before the NOTIFY arrives. */
  evict(tenantId: string): void {
    this.cache.evict(tenantId);
  }
}
