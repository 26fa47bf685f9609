import { findTenantTokenHash, PgListener, TENANT_AUTH_CHANNEL, type Db } from '@scimflow/db';
import type { Logger } from '@scimflow/telemetry';

const TTL_MS = 60_000;

/**
 * Keeps tenants' token hashes in memory so a SCIM request costs no extra query. A rotation
 * commits a NOTIFY that evicts the entry on every ingress at once; while the LISTEN connection
 * is down the cache is bypassed, so a rotated token can never keep working from a stale copy.
 */
export class TenantTokenCache {
  private readonly entries = new Map<string, { hash: Buffer | undefined; expires: number }>();
  private readonly listener: PgListener;
  /** Bumped on every eviction: a lookup that overlapped one must not store what it read. */
  private epoch = 0;

  constructor(
    private readonly db: Db,
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.listener = new PgListener({
      databaseUrl,
      channel: TENANT_AUTH_CHANNEL,
      applicationName: 'scimflow-ingress-listen',
      onNotification: (tenantId) => tenantId && this.evict(tenantId),
      // Reads made while we weren't listening may have missed a rotation.
      onReady: () => this.clear(),
      onLost: () => {
        this.clear();
        this.logger.warn('token cache listener lost; reading tokens from the database until it is back');
      },
    });
  }

  async start(): Promise<void> {
    await this.listener.start().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'token cache listener unavailable; reading tokens from the database');
    });
  }

  async stop(): Promise<void> {
    await this.listener.stop();
  }

  /** The tenant's token hash, or undefined for an unknown tenant. */
  async tokenHash(tenantId: string): Promise<Buffer | undefined> {
    const now = Date.now();
    const cached = this.listener.listening ? this.entries.get(tenantId) : undefined;
    if (cached && cached.expires > now) return cached.hash;
    const epoch = this.epoch;
    const hash = await findTenantTokenHash(this.db, tenantId);
    // Only a listening cache may keep entries (otherwise a rotation could go unnoticed), and only
    // if no rotation was announced while we read: that read may predate the rotation's commit.
    if (this.listener.listening && epoch === this.epoch) this.entries.set(tenantId, { hash, expires: now + TTL_MS });
    return hash;
  }

  /** Called by this instance after it rotated a token itself, before the NOTIFY arrives. */
  evict(tenantId: string): void {
    this.epoch++;
    this.entries.delete(tenantId);
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
  }
}
