import {
  eventsAfter,
  findWebhook,
  listDeadLetters,
  removeDeadLetter,
  type Db,
  type WebhookKey,
  uuidv7,
} from '@scimflow/db';
import { checkedWebhookTarget, postWebhook, publishedEvent, type WebhookPolicy } from '@scimflow/jobs';
import { ScimError } from '@scimflow/scim';

/** Dead letters replayed per request, oldest first (the operator presses again for more). */
const REPLAY_BATCH = 100;
const POST_TIMEOUT_MS = 10_000;

async function requireWebhook(db: Db, key: WebhookKey) {
  const webhook = await findWebhook(db, key);
  if (!webhook) throw ScimError.notFound(`Webhook ${key.id} not found`);
  return webhook;
}

/**
 * POST …/webhooks/{id}/test: a signed test body to the endpoint, through the same SSRF checks and
 * post as every delivery, answered with what the endpoint said. It is not an event: it has no
 * sequence and moves nothing.
 */
export async function testWebhook(db: Db, key: WebhookKey, policy: WebhookPolicy) {
  const webhook = await requireWebhook(db, key);
  const id = uuidv7();
  const error = await postWebhook({
    url: webhook.url,
    target: await checkedWebhookTarget(webhook.url, policy),
    secret: webhook.secret,
    body: JSON.stringify({
      type: 'urn:scimflow:webhook:test',
      jti: id,
      tenant: key.tenantId,
      iat: Math.floor(Date.now() / 1000),
    }),
    eventId: id,
    tenantId: key.tenantId,
    timeoutMs: POST_TIMEOUT_MS,
  });
  return error === undefined ? { delivered: true } : { delivered: false, error };
}

/**
 * POST …/webhooks/{id}/dead-letters/replay: posts the dead-lettered events again, oldest first,
 * exactly as they were first sent (same body, id and sequence: receivers dedupe by id), removing
 * each one delivered; it stops at the first the endpoint still refuses, so order is kept.
 */
export async function replayDeadLetters(db: Db, key: WebhookKey, policy: WebhookPolicy) {
  const webhook = await requireWebhook(db, key);
  const dead = (await listDeadLetters(db, key, REPLAY_BATCH)).toSorted(
    (a, b) => Number(a.sequence) - Number(b.sequence),
  );
  const target = await checkedWebhookTarget(webhook.url, policy);
  let replayed = 0;
  for (const letter of dead) {
    const sequence = Number(letter.sequence);
    const [event] = await eventsAfter(db, key.tenantId, sequence - 1, 1);
    if (!event || event.sequence !== sequence)
      return {
        replayed,
        remaining: dead.length - replayed,
        stoppedAt: { sequence, error: 'the event is no longer retained' },
      };
    const error = await postWebhook({
      url: webhook.url,
      target,
      secret: webhook.secret,
      body: JSON.stringify(publishedEvent(event)),
      eventId: event.payload.jti,
      sequence,
      tenantId: key.tenantId,
      timeoutMs: POST_TIMEOUT_MS,
    });
    if (error !== undefined) return { replayed, remaining: dead.length - replayed, stoppedAt: { sequence, error } };
    await removeDeadLetter(db, key, sequence);
    replayed++;
  }
  return { replayed, remaining: 0 };
}
