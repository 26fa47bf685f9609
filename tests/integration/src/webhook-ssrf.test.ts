import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { Stack, useStack } from '../../support/stack';
import { WebhookReceiver } from '../../support/webhook-receiver';

// Production defaults: webhooks may not point at anything only the service's network reaches.
const ctx = useStack({ tenant: 'ssrf', env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });

describe('webhook targets (SSRF)', () => {
  it.each([
    ['http://127.0.0.1:6379/', 'private or reserved address (127.0.0.1)'],
    ['http://169.254.169.254/latest/meta-data/', 'private or reserved address (169.254.169.254)'],
    ['http://10.1.2.3/hook', 'private or reserved address (10.1.2.3)'],
    ['http://[::1]:5432/', 'private or reserved address (::1)'],
    ['http://[::ffff:127.0.0.1]/', 'private or reserved address (::ffff:7f00:1)'],
    ['http://0x7f000001/', 'private or reserved address (127.0.0.1)'],
    ['http://2130706433/', 'private or reserved address (127.0.0.1)'],
    ['http://0/', 'private or reserved address (0.0.0.0)'],
    ['http://localhost:5432/', 'localhost resolves to a private or reserved address'],
    ['https://user:pass@hooks.example.com/', 'must not carry credentials'],
    ['ftp://hooks.example.com/', 'must be an http(s) URL'],
  ])('refuses %s with a 400 that says why', async (url, why) => {
    const refused = await admin(ctx.stack.url, 'POST', `/tenants/${ctx.tenant.id}/webhooks`, { url });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(String(refused.body.detail)).toContain(why);
    expect((await admin(ctx.stack.url, 'GET', `/tenants/${ctx.tenant.id}/webhooks`)).body.items).toEqual([]);
  });

  it('checks again at delivery: an endpoint registered where private targets were allowed is not posted to', async () => {
    // An ingress that allows private targets (as in development) registers one; this worker doesn't.
    const lenient = await Stack.start({
      worker: false,
      env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_RETRY_BASE_MS: '50' },
    });
    const receiver = await WebhookReceiver.start();
    try {
      await lenient.startWorker({ WEBHOOK_ALLOW_PRIVATE: 'false' });
      const tenant = await lenient.createTenant('lenient');
      const created = await admin(lenient.url, 'POST', `/tenants/${tenant.id}/webhooks`, { url: receiver.url });
      expect(created.status).toBe(201);
      const hookId = String(created.body.id);
      expect((await tenant.scim.post('/Users', { userName: 'alice@example.com' })).status).toBe(201);

      const deadLetters = async () =>
        (await admin(lenient.url, 'GET', `/tenants/${tenant.id}/webhooks/${hookId}/dead-letters`)).body.items ?? [];
      await waitFor(async () => (await deadLetters()).length === 1, 15_000, 'the event dead-lettered');
      expect(await deadLetters()).toEqual([
        expect.objectContaining({
          sequence: 1,
          attempts: 2,
          lastError: 'not delivered: the URL must not point at a private or reserved address (127.0.0.1)',
        }),
      ]);
      expect(receiver.deliveries).toEqual([]);
    } finally {
      await receiver.stop();
      await lenient.stop();
    }
  });
});
