import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';
import { WebhookReceiver } from '../../support/webhook-receiver';

// Issue 11: an operator can test-send to a tenant's webhook and replay its dead letters.
const ctx = useStack({
  tenant: 'hooked',
  env: { WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_RETRY_BASE_MS: '10', OUTBOX_POLL_MS: '100' },
});
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.stop());
type Item = Record<string, unknown>;

describe('webhook actions', () => {
  it('test-sends a signed body and says what the endpoint answered', async () => {
    const { id: tenantId } = ctx.tenant;
    const hook = (await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks`, { url: receiver.url })).body;
    receiver.respond = () => 503;
    const refused = await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks/${String(hook.id)}/test`);
    expect(refused.body).toEqual({ delivered: false, error: 'HTTP 503' });
    receiver.respond = () => 200;
    const sent = await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks/${String(hook.id)}/test`);
    expect(sent.body).toEqual({ delivered: true });
    const [test] = receiver.deliveries;
    expect(test?.body).toMatchObject({ type: 'urn:scimflow:webhook:test', tenant: tenantId });
    expect(test?.signatureValid(String(hook.secret))).toBe(true);
    expect(
      (await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks/0190a0b0-0000-7000-8000-000000000000/test`))
        .status,
    ).toBe(404);
    await admin(ctx.stack.url, 'DELETE', `/tenants/${tenantId}/webhooks/${String(hook.id)}`);
  });

  it('replays dead letters oldest first, exactly as first sent, and removes those delivered', async () => {
    const tenant = await ctx.stack.createTenant('replayed');
    const hook = (await admin(ctx.stack.url, 'POST', `/tenants/${tenant.id}/webhooks`, { url: receiver.url })).body;
    const path = `/tenants/${tenant.id}/webhooks/${String(hook.id)}/dead-letters`;
    receiver.respond = () => 500;
    expect((await tenant.scim.post('/Users', { userName: 'dead@example.com' })).status).toBe(201);
    expect((await tenant.scim.post('/Users', { userName: 'also-dead@example.com' })).status).toBe(201);
    await waitFor(
      async () => ((await admin(ctx.stack.url, 'GET', path)).body.items ?? []).length === 2,
      15_000,
      'two dead letters',
    );
    // Still refused: nothing is removed, and it says where it stopped.
    const stuck = await admin(ctx.stack.url, 'POST', `${path}/replay`);
    expect(stuck.body).toMatchObject({ replayed: 0, remaining: 2, stoppedAt: { sequence: 1, error: 'HTTP 500' } });

    receiver.respond = () => 200;
    const before = receiver.deliveries.length;
    const replayed = await admin(ctx.stack.url, 'POST', `${path}/replay`);
    expect(replayed.body).toEqual({ replayed: 2, remaining: 0 });
    const bodies = receiver.deliveries.slice(before).map((delivery) => delivery.body);
    expect(bodies.map((body) => body.sequence)).toEqual([1, 2]);
    expect(bodies.every((body: Item) => typeof body.jti === 'string' && body.tenant === tenant.id)).toBe(true);
    expect(receiver.deliveries.slice(before).every((delivery) => delivery.signatureValid(String(hook.secret)))).toBe(
      true,
    );
    expect((await admin(ctx.stack.url, 'GET', path)).body.items).toEqual([]);
  }, 30_000);
});
