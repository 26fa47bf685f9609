import {
  findTenantSettings,
  NotifiedCache,
  TENANT_SETTINGS_CHANNEL,
  tenantProfile,
  type Db,
  type TenantProfile,
} from '@scimflow/db';
import type { Logger } from '@scimflow/telemetry';

const TTL_MS = 60_000;

/**
 * Tenants' provisioning profiles (required attributes, default groups), parsed once and kept:
 * a batch costs no settings query. A settings change commits a NOTIFY that evicts the profile on
 * every worker; while the LISTEN connection is down every batch reads them afresh.
 */
export class TenantProfiles {
  private readonly cache: NotifiedCache<TenantProfile>;

  constructor(db: Db, databaseUrl: string, logger: Logger) {
    this.cache = new NotifiedCache({
      databaseUrl,
      channel: TENANT_SETTINGS_CHANNEL,
      applicationName: 'scimflow-worker-listen',
      ttlMs: TTL_MS,
      load: async (tenantIds) => {
        const settings = await findTenantSettings(db, tenantIds);
        return new Map([...settings].map(([id, value]) => [id, tenantProfile(value)]));
      },
      onLost: () => logger.warn('tenant settings listener lost; reading settings for every batch until it is back'),
    });
  }

  start(logger: Logger): Promise<void> {
    return this.cache.start().catch((error: unknown) => {
      logger.warn({ err: error }, 'tenant settings listener unavailable; reading settings for every batch');
    });
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  async of(tenantIds: readonly string[]): Promise<Map<string, TenantProfile>> {
    const found = await this.cache.getMany(tenantIds);
    return new Map([...found].flatMap(([id, profile]) => (profile ? [[id, profile] as const] : [])));
  }
}
