import { tenantsWithWebhooks, type Db } from '@scimflow/db';
import type { Outages } from '../outages';
import type { WebhookDelivery } from './webhook-delivery';

/** How long the set of tenants with webhooks is trusted; a sweep covers the gap for a new endpoint. */
const WEBHOOK_TENANTS_TTL_MS = 1_000;

/**
 * Starts delivery for tenants whose transactions just committed events, in this process: no queue
 * job per event. Tenants without webhooks are skipped; a tenant already being delivered is run
 * again once its run ends (its new events may have arrived after the run read the log). Delivery
 * itself is guarded by per-endpoint leases, so other processes doing the same is harmless.
 */
export class DeliveryScheduler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private withWebhooks: { tenants: ReadonlySet<string>; readAt: number } | undefined;
  private readonly unsure = new Set<string>();
  private recheck: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: { readonly db: Db; readonly delivery: WebhookDelivery; readonly outages: Outages },
  ) {}

  kick(tenantIds: readonly string[]): void {
    if (this.stopped || tenantIds.length === 0) return;
    this.startFor(tenantIds).catch((error: unknown) =>
      this.deps.outages.report(error, 'could not start webhook delivery; the sweep will'),
    );
  }

  /** `recheck`: tenants not known to have webhooks are looked at once more, a cache lifetime later. */
  private async startFor(tenantIds: readonly string[], recheck = true): Promise<void> {
    const tenants = await this.tenantsWithWebhooks();
    for (const tenantId of tenantIds) {
      if (tenants.has(tenantId)) this.run(tenantId);
      else if (recheck) this.unsure.add(tenantId);
    }
    this.recheckUnsure();
  }

  /**
   * Tenants the cached set said had no webhook are looked at again once the set is re-read: an
   * endpoint created a moment ago gets its first events without waiting for the sweep.
   */
  private recheckUnsure(): void {
    if (this.recheck || this.unsure.size === 0) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      const tenants = [...this.unsure];
      this.unsure.clear();
      this.withWebhooks = undefined;
      this.startFor(tenants, false).catch(() => undefined);
    }, WEBHOOK_TENANTS_TTL_MS);
    this.recheck.unref();
  }

  /** Stops starting runs and waits for the ones in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.recheck);
    await Promise.all(this.running.values());
  }

  private run(tenantId: string): void {
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    const run = this.deps.delivery
      .deliverTenant(tenantId)
      .catch((error: unknown) => this.deps.outages.report(error, 'webhook delivery run failed', { tenantId }))
      .finally(() => {
        this.running.delete(tenantId);
        if (this.again.delete(tenantId) && !this.stopped) this.run(tenantId);
      });
    this.running.set(tenantId, run);
  }

  private async tenantsWithWebhooks(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.withWebhooks && now - this.withWebhooks.readAt < WEBHOOK_TENANTS_TTL_MS) return this.withWebhooks.tenants;
    const tenants = new Set(await tenantsWithWebhooks(this.deps.db));
    this.withWebhooks = { tenants, readAt: now };
    return tenants;
  }
}
