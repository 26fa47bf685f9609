import {
  acquireWebhookLease,
  deadLetterWebhookEvent,
  eventsAfter,
  recordWebhookAttemptFailed,
  recordWebhookDelivered,
  releaseWebhookLease,
  webhookIdsOfTenant,
  type Db,
  type StoredEvent,
  type WebhookKey,
} from '@scimflow/db';
import { checkedWebhookTarget, postWebhook, publishedEvent, type JobQueue, type WebhookTarget } from '@scimflow/jobs';
import type { WorkerConfig } from '@scimflow/config';
import type { Logger } from '@scimflow/telemetry';

const PAGE = 100;
/** Events delivered between two saves of an endpoint's cursor. */
const FLUSH_EVERY = 50;

/** Where a run posts: the checked address, or why it may not post at all. */

/** How a delivery run ended: `delivered` is the endpoint's sequence when it did. */
type RunOutcome = { readonly stopped: boolean; readonly delivered: number };

export interface WebhookDeliveryDeps {
  readonly db: Db;
  readonly retries: JobQueue<'webhooks'>;
  readonly config: WorkerConfig['webhooks'];
  /** This process's lease owner id. */
  readonly owner: string;
  readonly logger: Logger;
  /** Counts each post by outcome (the worker's scimflow_webhook_deliveries_total). */
  readonly deliveries: { inc(labels: { outcome: 'delivered' | 'failed' | 'dead_lettered' }): void };
}

/** The webhook body: the event as published, its sequence included. */
export function eventBody(event: StoredEvent): string {
  return JSON.stringify(publishedEvent(event));
}

/**
 * Delivers a tenant's events to its endpoints in sequence order, one run per endpoint at a time
 * (a lease). A failed delivery backs off exponentially and is retried by a delayed job; after
 * maxAttempts the event is dead-lettered and the endpoint moves on.
 */
export class WebhookDelivery {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  async deliverTenant(tenantId: string): Promise<void> {
    for (const id of await webhookIdsOfTenant(this.deps.db, tenantId)) await this.drain({ tenantId, id }, false);
  }

  /** Delivers everything pending; then checks again, since a trigger that found the lease taken was dropped. */
  async drain(key: WebhookKey, dueRetry: boolean): Promise<void> {
    const leaseMs = this.deps.config.timeoutMs * 3;
    for (let retry = dueRetry; ; retry = false) {
      const hook = await acquireWebhookLease(this.deps.db, key, this.deps.owner, leaseMs, retry);
      if (!hook) return;
      let outcome: RunOutcome;
      try {
        outcome = await this.run(key, hook.url, hook.secret, Number(hook.delivered_sequence), hook.attempts, leaseMs);
      } finally {
        await releaseWebhookLease(this.deps.db, key, this.deps.owner);
      }
      if (outcome.stopped) return;
      const [pending] = await eventsAfter(this.deps.db, key.tenantId, outcome.delivered, 1);
      if (!pending) return;
    }
  }

  /**
   * Delivers until nothing is pending, or stops (backing off, or the lease was lost). The
   * endpoint's cursor is saved every FLUSH_EVERY events (and before stopping), not after each: a
   * crash in between delivers those events again, which at-least-once delivery allows.
   */
  private async run(
    key: WebhookKey,
    url: string,
    secret: string,
    delivered: number,
    attempts: number,
    leaseMs: number,
  ): Promise<RunOutcome> {
    const { db, owner, config } = this.deps;
    const cursor = { saved: delivered, savedAt: Date.now() };
    /** Saves the cursor; false when the lease was lost (another run owns the endpoint now). */
    const save = async (force: boolean): Promise<boolean> => {
      if (delivered === cursor.saved) return true;
      if (!force && delivered - cursor.saved < FLUSH_EVERY && Date.now() - cursor.savedAt < leaseMs / 3) return true;
      const kept = await recordWebhookDelivered(db, key, owner, delivered, leaseMs);
      Object.assign(cursor, { saved: delivered, savedAt: Date.now() });
      return kept;
    };
    // Checked again for every run, and the run connects only to the address checked (SSRF, rebinding).
    let target: WebhookTarget | undefined;
    for (;;) {
      const events = await eventsAfter(db, key.tenantId, delivered, PAGE);
      if (events.length === 0) return { stopped: !(await save(true)), delivered };
      target ??= await checkedWebhookTarget(url, this.deps.config.policy);
      for (const event of events) {
        const error = await this.post(url, target, secret, event);
        if (error === undefined) {
          this.deps.deliveries.inc({ outcome: 'delivered' });
          attempts = 0;
          delivered = event.sequence;
          if (!(await save(false))) return { stopped: true, delivered };
          continue;
        }
        if (!(await save(true))) return { stopped: true, delivered };
        if (attempts + 1 >= config.maxAttempts) {
          this.deps.deliveries.inc({ outcome: 'dead_lettered' });
          this.deps.logger.warn(
            { webhookId: key.id, sequence: event.sequence, attempts: attempts + 1, error },
            'webhook event dead-lettered',
          );
          await deadLetterWebhookEvent(db, key, owner, {
            sequence: event.sequence,
            eventId: event.payload.jti,
            attempts: attempts + 1,
            error,
          });
          Object.assign(cursor, { saved: event.sequence, savedAt: Date.now() });
          attempts = 0;
          delivered = event.sequence;
          continue;
        }
        this.deps.deliveries.inc({ outcome: 'failed' });
        const delay = Math.min(config.retryBaseMs * 2 ** attempts, config.retryMaxMs);
        await recordWebhookAttemptFailed(db, key, owner, error, new Date(Date.now() + delay));
        await this.deps.retries.add('webhook.retry', { tenantId: key.tenantId, webhookId: key.id }, { delay });
        return { stopped: true, delivered };
      }
    }
  }

  /** Undefined when the endpoint accepted the event (2xx); otherwise why not. */
  private post(url: string, target: WebhookTarget, secret: string, event: StoredEvent): Promise<string | undefined> {
    return postWebhook({
      url,
      target,
      secret,
      body: eventBody(event),
      eventId: event.payload.jti,
      sequence: event.sequence,
      tenantId: event.payload.tenant,
      timeoutMs: this.deps.config.timeoutMs,
    });
  }
}
