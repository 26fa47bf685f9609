import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';
import { WebhookReceiver } from '../../support/webhook-receiver';

const ctx = useStack({
  tenant: 'events',
  env: { WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_MAX_ATTEMPTS: '3', OUTBOX_POLL_MS: '200' },
});
const PREFIX = 'urn:ietf:params:scim:event:prov:';

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.stop());

/** `create:notice User`, `patch:full Group add 1`...: what an event says, in one line. */
function summary(event: Record<string, unknown>): string {
  const [uri, payload] = Object.entries(event.events as Record<string, Record<string, unknown>>)[0] as [
    string,
    Record<string, unknown>,
  ];
  const type = (event.sub_id as { uri: string }).uri.split('/')[1];
  const operation = (payload.data as { Operations?: { op: string; path: string; value: unknown }[] } | undefined)
    ?.Operations?.[0];
  const detail = operation
    ? ` ${operation.op} ${operation.path}${Array.isArray(operation.value) ? ` ${operation.value.length}` : ''}`
    : '';
  return `${uri.slice(PREFIX.length)} ${type}${detail}`;
}

async function webhook(tenantId: string, url: string): Promise<{ id: string; secret: string }> {
  const created = await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks`, { url });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({
    id: expect.any(String),
    url,
    secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    createdAt: expect.any(String),
    deliveredSequence: 0,
    lastDeliveredAt: null,
    failingAttempts: 0,
    nextAttemptAt: null,
    lastError: null,
  });
  return created.body as { id: string; secret: string };
}

describe('membership events', () => {
  it('reach the webhook signed, once each, in tenant order; the poll endpoint returns the same events', async () => {
    const { scim, id: tenantId } = ctx.tenant;
    const hook = await webhook(tenantId, receiver.url);
    const alice = (await scim.post('/Users', { userName: 'alice@example.com', externalId: 'a-1' })).body.id as string;
    const bob = (await scim.post('/Users', { userName: 'bob@example.com', active: false })).body.id as string;
    expect((await scim.post('/Users', { userName: 'ALICE@example.com' })).status).toBe(409);
    const group = (
      await scim.post('/Groups', { displayName: 'Engineering', externalId: 'eng', members: [{ value: alice }] })
    ).body.id as string;
    expect(
      (await scim.patch(`/Groups/${group}`, [{ op: 'add', path: 'members', value: [{ value: bob }] }])).status,
    ).toBe(204);
    expect(
      (await scim.patch(`/Groups/${group}`, [{ op: 'replace', path: 'displayName', value: 'Platform' }])).status,
    ).toBe(204);
    expect(
      (await scim.patch(`/Groups/${group}`, [{ op: 'replace', path: 'externalId', value: 'platform' }])).status,
    ).toBe(204);
    expect((await scim.patch(`/Users/${alice}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(200);
    expect((await scim.patch(`/Users/${alice}`, [{ op: 'replace', path: 'active', value: 'True' }])).status).toBe(200);
    expect((await scim.patch(`/Users/${alice}`, [{ op: 'replace', path: 'displayName', value: 'Alice' }])).status).toBe(
      200,
    );
    expect(
      (await scim.patch(`/Groups/${group}`, [{ op: 'remove', path: `members[value eq "${alice}"]` }])).status,
    ).toBe(204);
    expect((await scim.delete(`/Users/${bob}`)).status).toBe(204);
    expect((await scim.delete(`/Groups/${group}`)).status).toBe(204);

    const expected = [
      'create:notice Users',
      'create:notice Users',
      'deactivate Users',
      'create:notice Groups',
      'patch:full Groups add members 1',
      'patch:full Groups add members 1',
      'patch:full Groups replace displayName',
      'deactivate Users',
      'activate Users',
      'patch:full Groups remove members 1',
      'patch:full Groups remove members 1',
      'delete Users',
      'delete Groups',
    ];
    await waitFor(() => receiver.deliveries.length >= expected.length, 10_000, 'webhook deliveries');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bodies = receiver.deliveries.map((delivery) => delivery.body);
    expect(bodies.map(summary)).toEqual(expected);
    expect(bodies.map((body) => body.sequence)).toEqual(expected.map((_, index) => index + 1));
    for (const delivery of receiver.deliveries) {
      expect(delivery.signatureValid(hook.secret)).toBe(true);
      expect(delivery.signatureValid('another secret')).toBe(false);
      expect(delivery.headers['x-scimflow-event-id']).toBe(delivery.body.jti);
      expect(delivery.headers['x-scimflow-sequence']).toBe(String(delivery.body.sequence));
      expect(delivery.body).toMatchObject({
        iss: ctx.stack.url,
        tenant: tenantId,
        txn: expect.any(String),
        iat: expect.any(Number),
      });
    }
    expect(new Set(bodies.map((body) => body.jti)).size).toBe(expected.length);
    expect(bodies[0]).toMatchObject({
      sub_id: { format: 'scim', uri: `/Users/${alice}`, externalId: 'a-1', userName: 'alice@example.com' },
    });
    expect(bodies[4]).toMatchObject({
      sub_id: { uri: `/Groups/${group}`, externalId: 'eng' },
      events: {
        [`${PREFIX}patch:full`]: {
          version: expect.stringMatching(/^W\/"\d+"$/),
          data: {
            Operations: [
              { op: 'add', path: 'members', value: [{ value: alice, type: 'User', $ref: `/Users/${alice}` }] },
            ],
          },
        },
      },
    });
    // Deleting bob removed him from the group first, in the same request (one txn).
    expect(bodies[10]?.txn).toBe(bodies[11]?.txn);

    const polled = await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/events?after=0&limit=1000`);
    expect(polled.status).toBe(200);
    expect(polled.body.items).toEqual(bodies);
    const page = await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/events?after=10&limit=2`);
    expect(page.body.items?.map((item) => item.sequence)).toEqual([11, 12]);
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/events?after=-1`)).status).toBe(400);

    const webhooks = () => admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/webhooks`);
    // The receiver has the last post before its answer reaches the worker, which then records it.
    await waitFor(
      async () => (await webhooks()).body.items?.[0]?.deliveredSequence === expected.length,
      10_000,
      'the last delivery recorded',
    );
    const status = await webhooks();
    expect(status.body.items).toEqual([
      expect.objectContaining({ id: hook.id, deliveredSequence: expected.length, deadLetters: 0, failingAttempts: 0 }),
    ]);
    expect(JSON.stringify(status.body)).not.toContain(hook.secret);
  });

  it('keeps tenants apart: own sequence, own endpoints', async () => {
    const other = await ctx.stack.createTenant('events-other');
    const otherReceiver = await WebhookReceiver.start();
    try {
      await webhook(other.id, otherReceiver.url);
      const before = receiver.deliveries.length;
      expect((await other.scim.post('/Users', { userName: 'carol@example.com' })).status).toBe(201);
      await waitFor(() => otherReceiver.deliveries.length === 1, 10_000, 'the other tenant delivery');
      expect(otherReceiver.deliveries[0]?.body).toMatchObject({ sequence: 1, tenant: other.id });
      expect(receiver.deliveries.length).toBe(before);
      expect((await admin(ctx.stack.url, 'GET', `/tenants/${ctx.tenant.id}/events?after=13`)).body.items).toEqual([]);
    } finally {
      await otherReceiver.stop();
    }
  });

  it('retries a failing endpoint with backoff, in order, and dead-letters an event after the last attempt', async () => {
    const tenant = await ctx.stack.createTenant('events-retries');
    const flaky = await WebhookReceiver.start();
    try {
      const hook = await webhook(tenant.id, flaky.url);
      let failures = 0;
      // Event 1 fails twice then succeeds; event 2 fails every time (dead after 3 attempts); event 3 is fine.
      flaky.respond = (delivery) => {
        const sequence = delivery.body.sequence;
        if ((sequence === 1 && failures < 2) || sequence === 2) {
          failures++;
          return 503;
        }
        return 200;
      };
      await tenant.scim.post('/Users', { userName: 'one@example.com' });
      await tenant.scim.post('/Users', { userName: 'two@example.com' });
      await tenant.scim.post('/Users', { userName: 'three@example.com' });
      await waitFor(() => flaky.deliveries.length === 2, 15_000, 'deliveries after retries');
      expect(flaky.deliveries.map((delivery) => delivery.body.sequence)).toEqual([1, 3]);
      expect(failures).toBe(2 + 3);

      // The receiver has the last post before its answer reaches the worker, which then records it.
      const statusOf = async () =>
        (await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/webhooks`)).body.items?.[0];
      await waitFor(async () => (await statusOf())?.deliveredSequence === 3, 10_000, 'the last delivery recorded');
      expect(await statusOf()).toMatchObject({ deliveredSequence: 3, deadLetters: 1, failingAttempts: 0 });
      const dead = await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/webhooks/${hook.id}/dead-letters`);
      expect(dead.body.items).toEqual([expect.objectContaining({ sequence: 2, attempts: 3, lastError: 'HTTP 503' })]);

      // Another tenant can't read them.
      expect(
        (await admin(ctx.stack.url, 'GET', `/tenants/${ctx.tenant.id}/webhooks/${hook.id}/dead-letters`)).status,
      ).toBe(404);
      expect((await admin(ctx.stack.url, 'DELETE', `/tenants/${ctx.tenant.id}/webhooks/${hook.id}`)).status).toBe(404);

      expect((await admin(ctx.stack.url, 'DELETE', `/tenants/${tenant.id}/webhooks/${hook.id}`)).status).toBe(204);
      expect((await admin(ctx.stack.url, 'DELETE', `/tenants/${tenant.id}/webhooks/${hook.id}`)).status).toBe(404);
      expect((await admin(ctx.stack.url, 'GET', `/tenants/${tenant.id}/webhooks`)).body.items).toEqual([]);
    } finally {
      await flaky.stop();
    }
  });

  it('refuses bad webhook requests with a 4xx', async () => {
    expect(
      (await admin(ctx.stack.url, 'POST', `/tenants/${ctx.tenant.id}/webhooks`, { url: 'ftp://example.com' })).status,
    ).toBe(400);
    expect(
      (
        await admin(ctx.stack.url, 'POST', `/tenants/${ctx.tenant.id}/webhooks`, {
          url: 'https://example.com',
          extra: 1,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await admin(ctx.stack.url, 'POST', '/tenants/00000000-0000-4000-8000-000000000000/webhooks', {
          url: 'https://example.com',
        })
      ).status,
    ).toBe(404);
    expect((await admin(ctx.stack.url, 'GET', '/tenants/not-a-uuid/events')).status).toBe(404);
  });
});
