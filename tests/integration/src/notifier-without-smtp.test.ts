import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';

// Issue 11: `npm start` runs the notifier even with no SMTP server; digests are then kept,
// undelivered and visible, and the notifier says so once.
const ctx = useStack({ tenant: 'unmailed', env: { OUTBOX_POLL_MS: '200' } });

describe('the notifier without SMTP_URL', () => {
  it('keeps each digest closed and undelivered, visible in the admin API, and warns once', async () => {
    await ctx.stack.startNotifier({});
    const { scim, id: tenantId } = ctx.tenant;
    const saved = await admin(ctx.stack.url, 'PATCH', `/tenants/${tenantId}`, {
      notificationEmails: ['ops@acme.example'],
      notifyWindowSeconds: 1,
    });
    expect(saved.status).toBe(200);
    expect((await scim.post('/Users', { displayName: 'No user name' })).status).toBe(400);

    await waitFor(
      async () =>
        ((await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/notifications`)).body.items ?? []).some(
          (digest: Record<string, unknown>) => typeof digest.lastError === 'string',
        ),
      15_000,
      'the digest to be kept undelivered',
    );
    const [digest] = (await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/notifications`)).body.items ?? [];
    expect(digest).toMatchObject({ status: 'closed', failures: 1, lastError: expect.stringContaining('SMTP_URL') });
    expect(digest?.sentAt ?? null).toBeNull();
    const warnings = ctx.stack.logLines.filter((line) => String(line.msg).startsWith('SMTP_URL is not set'));
    expect(warnings).toHaveLength(1);
  });
});
