import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  deleteWebhook,
  eventsAfter,
  insertWebhook,
  listDeadLetters,
  listWebhooks,
  webhookIdsOfTenant,
  type Db,
  type WebhookRow,
  type WebhookStatus,
  uuidv7,
} from '@scimflow/db';
import { publishedEvent, resolveWebhookTarget, webhookUrlProblem, type WebhookPolicy } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';
import { limitParam, parseOrBadRequest, requireTenant } from './admin-validation';

export const webhookBody = z
  .object({ url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048) })
  .strict();

export async function createWebhook(db: Db, tenantId: string, body: unknown, policy: WebhookPolicy) {
  const { url } = parseOrBadRequest(webhookBody, body);
  await requireTenant(db, tenantId);
  // SSRF: the worker posts from inside the service's network (see webhook-target.ts).
  const problem = webhookUrlProblem(url, policy) ?? (await resolutionProblem(url, policy));
  if (problem) throw ScimError.badRequest('invalidValue', `url: ${problem}`);
  // 32 random bytes: the HMAC key. Shown once, like the SCIM token.
  const secret = randomBytes(32).toString('base64url');
  const row = await insertWebhook(db, { tenantId, id: uuidv7(), url, secret });
  return { ...webhookView(row), secret };
}

async function resolutionProblem(url: string, policy: WebhookPolicy): Promise<string | undefined> {
  try {
    await resolveWebhookTarget(new URL(url), policy);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'cannot be resolved';
  }
}

function webhookView(row: WebhookRow | WebhookStatus) {
  return {
    id: row.id,
    url: row.url,
    createdAt: row.created_at.toISOString(),
    deliveredSequence: Number(row.delivered_sequence),
    lastDeliveredAt: row.last_delivered_at?.toISOString() ?? null,
    failingAttempts: row.attempts,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    lastError: row.last_error,
    ...('dead_letters' in row ? { deadLetters: row.dead_letters } : {}),
  };
}

export async function describeWebhooks(db: Db, tenantId: string) {
  await requireTenant(db, tenantId);
  return { items: (await listWebhooks(db, tenantId)).map(webhookView) };
}

export async function removeWebhook(db: Db, tenantId: string, webhookId: string): Promise<void> {
  if (!(await deleteWebhook(db, { tenantId, id: webhookId })))
    throw ScimError.notFound(`Webhook ${webhookId} not found`);
}

export async function describeDeadLetters(db: Db, tenantId: string, webhookId: string) {
  if (!(await webhookIdsOfTenant(db, tenantId)).includes(webhookId))
    throw ScimError.notFound(`Webhook ${webhookId} not found`);
  const rows = await listDeadLetters(db, { tenantId, id: webhookId }, 1000);
  return {
    items: rows.map((row) => ({
      sequence: Number(row.sequence),
      eventId: row.event_id,
      attempts: row.attempts,
      lastError: row.last_error,
      deadAt: row.dead_at.toISOString(),
    })),
  };
}

export const eventsQuery = z.object({ after: z.coerce.number().int().min(0).default(0), limit: limitParam }).strict();

/** The poll endpoint: the durable event log after a sequence, each item exactly as webhooks receive it. */
export async function pollEvents(db: Db, tenantId: string, query: unknown) {
  const { after, limit: count } = parseOrBadRequest(eventsQuery, query);
  await requireTenant(db, tenantId);
  const events = await eventsAfter(db, tenantId, after, count);
  return { items: events.map(publishedEvent) };
}
