import pg from 'pg';
import { findTenantTokenHash, TENANT_AUTH_CHANNEL, type Db } from '@scimflow/db';
import type { Logger } from '@scimflow/telemetry';

const TTL_MS = 60_000;
const RECONNECT_MS = 1_000;

/**
 * Keeps tenants' token hashes in memory so a SCIM request costs no extra query. A rotation
 * commits a NOTIFY that evicts the entry on every ingress at once; while the LISTEN connection
 * is down the cache is bypassed, so a rotated token can never keep working from a stale copy.
 */
export class TenantTokenCache {
  private readonly entries = new Map<string, { hash: Buffer | undefined; expires: number }>();
  private listener: pg.Client | undefined;
  private listening = false;
  private stopped = false;
  /** Bumped on every eviction: a lookup that overlapped one must not store what it read. */
  private epoch = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'token cache listener unavailable; reading tokens from the database');
      this.scheduleReconnect();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  /** The tenant's token hash, or undefined for an unknown tenant. */
  async tokenHash(tenantId: string): Promise<Buffer | undefined> {
    const now = Date.now();
    const cached = this.listening ? this.entries.get(tenantId) : undefined;
    if (cached && cached.expires > now) return cached.hash;
    const epoch = this.epoch;
    const hash = await findTenantTokenHash(this.db, tenantId);
    // Only a listening cache may keep entries (otherwise a rotation could go unnoticed), and only
    // if no rotation was announced while we read: that read may predate the rotation's commit.
    if (this.listening && epoch === this.epoch) this.entries.set(tenantId, { hash, expires: now + TTL_MS });
    return hash;
  }

  /** Called by this instance after it rotated a token itself, before the NOTIFY arrives. */
  evict(tenantId: string): void {
    this.epoch++;
    this.entries.delete(tenantId);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'scimflow-ingress-listen' });
    client.on('notification', (message) => {
      if (message.channel === TENANT_AUTH_CHANNEL && message.payload) this.evict(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${TENANT_AUTH_CHANNEL}`);
    // Reads made while we weren't listening may have missed a rotation.
    this.epoch++;
    this.entries.clear();
    this.listener = client;
    this.listening = true;
  }

  private lost(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listening = false;
    this.epoch++;
    this.entries.clear();
    this.listener = undefined;
    client.end().catch(() => undefined);
    if (!this.stopped) {
      this.logger.warn('token cache listener lost; reading tokens from the database until it is back');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
