import { admin } from '../../support/admin-client';
import { waitFor } from '../../support/processes';
import { SmtpSink } from '../../support/smtp-sink';
import { useStack } from '../../support/stack';

const ctx = useStack({ tenant: 'notified', env: { OUTBOX_POLL_MS: '200' } });
const WINDOW_S = 3;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await SmtpSink.start();
  await ctx.stack.startNotifier({
    SMTP_URL: sink.url,
    NOTIFY_RETRY_BASE_MS: '100',
    NOTIFY_FROM: 'scimflow <alerts@scimflow.test>',
  });
});
afterAll(() => sink.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function digests(tenantId: string) {
  return (await admin(ctx.stack.url, 'GET', `/tenants/${tenantId}/notifications`)).body.items ?? [];
}

describe('failure notifications', () => {
  it('sends one digest per window, to every address, with counts, names, reasons and where to look', async () => {
    const { scim, id: tenantId } = ctx.tenant;
    const saved = await admin(ctx.stack.url, 'PATCH', `/tenants/${tenantId}`, {
      notificationEmails: ['ops@acme.example', 'security@acme.example'],
      notifyWindowSeconds: WINDOW_S,
    });
    expect(saved.status).toBe(200);
    expect((await scim.post('/Users', { userName: 'alice@example.com' })).status).toBe(201);
    const group = (await scim.post('/Groups', { displayName: 'Staff' })).body.id as string;

    const started = Date.now();
    // A failed sync in miniature: an unknown member, a body the ingress refuses, 40 conflicting creates at once.
    expect(
      (
        await scim.patch(`/Groups/${group}`, [
          { op: 'add', path: 'members', value: [{ value: '0190a0b0-0000-7000-8000-000000000000' }] },
        ])
      ).status,
    ).toBe(400);
    expect((await scim.post('/Users', { displayName: 'No user name' })).status).toBe(400);
    const conflicts = await Promise.all(
      Array.from({ length: 40 }, () => scim.post('/Users', { userName: 'ALICE@example.com' })),
    );
    expect(conflicts.every((response) => response.status === 409)).toBe(true);
    expect((await scim.post('/Users', { userName: 'fine@example.com' })).status).toBe(201);

    await waitFor(() => sink.messages.length === 1, 15_000, 'the digest');
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 200);
    await sleep(WINDOW_S * 1000 + 1000);
    expect(sink.messages).toHaveLength(1);

    const mail = sink.messages[0];
    expect(mail?.subject).toBe('[scimflow] 42 provisioning failures for notified');
    expect(mail?.from?.value).toEqual([{ name: 'scimflow', address: 'alerts@scimflow.test' }]);
    const to = mail?.to;
    expect((Array.isArray(to) ? to : [to]).flatMap((address) => address?.value.map((v) => v.address))).toEqual([
      'ops@acme.example',
      'security@acme.example',
    ]);
    const text = mail?.text ?? '';
    expect(text).toContain('  40 x 409 uniqueness');
    expect(text).toContain('  2 x 400 invalidValue');
    expect(text).toMatch(
      /create User ALICE@example\.com: 409 uniqueness \(userName 'ALICE@example\.com' is already in use in this tenant\)/,
    );
    expect(text).toContain(
      `patch Group Staff: 400 invalidValue (No such member in this tenant: 0190a0b0-0000-7000-8000-000000000000; nothing was applied)`,
    );
    expect(text).toContain('create User: 400 invalidValue');
    expect(text).toContain('The first 20:');
    expect(text).toContain('... and 22 more');
    // A link to the customer's own console page (signed with the CONSOLE_SECRET ingress and notifier share).
    expect(text).toMatch(new RegExp(`  ${ctx.stack.url}/console/idp\\?link=[\\w.%-]+\n`));
    expect(text).not.toContain('/admin/');
    // The link opens the customer's page for this tenant (a cookie scoped to it, then the page).
    const link = /(http:\/\/\S+\/console\/idp\?link=\S+)/.exec(text)?.[1] ?? '';
    const opened = await fetch(link, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get('set-cookie')?.split(';')[0] ?? '';
    const page = await fetch(`${ctx.stack.url}/console/idp`, { headers: { cookie } });
    expect(await page.text()).toContain('Identity Provider · notified');

    const recorded = await digests(tenantId);
    expect(recorded).toEqual([
      expect.objectContaining({
        status: 'sent',
        failures: 42,
        recipients: ['ops@acme.example', 'security@acme.example'],
        attempts: 0,
        sentAt: expect.any(String),
      }),
    ]);
  });

  it('opens a new window for later failures, and retries a send the SMTP server refused', async () => {
    const { scim, id: tenantId } = ctx.tenant;
    sink.refuseNext = 1;
    expect((await scim.post('/Users', { userName: 'alice@example.com' })).status).toBe(409);
    await waitFor(() => sink.messages.length === 2, 20_000, 'the second digest');
    expect(sink.refused).toBe(1);
    expect(sink.messages[1]?.subject).toBe('[scimflow] 1 provisioning failure for notified');
    // The notifier records the send once the SMTP server has answered, a moment after the sink has the mail.
    await waitFor(
      async () => (await digests(tenantId))[0]?.status === 'sent',
      5_000,
      'the digest to be recorded as sent',
    );
    const recorded = await digests(tenantId);
    expect(recorded[0]).toMatchObject({
      status: 'sent',
      failures: 1,
      attempts: 1,
      lastError: expect.stringContaining('451'),
    });
    const [second, first] = recorded as { windowStart: string; sentAt: string }[];
    // At most one mail per window: the second window opened after the first mail.
    expect(Date.parse(second?.windowStart ?? '')).toBeGreaterThan(Date.parse(first?.sentAt ?? ''));
  });

  it('records but does not mail failures of a tenant without notification addresses', async () => {
    const quiet = await ctx.stack.createTenant('quiet');
    await admin(ctx.stack.url, 'PATCH', `/tenants/${quiet.id}`, { notifyWindowSeconds: 1 });
    const before = sink.messages.length;
    expect((await quiet.scim.delete('/Users/0190a0b0-0000-7000-8000-000000000000')).status).toBe(404);
    await waitFor(async () => (await digests(quiet.id))[0]?.status === 'skipped', 15_000, 'the skipped digest');
    expect(sink.messages.length).toBe(before);
  });

  it('refuses bad notification settings', async () => {
    expect(
      (await admin(ctx.stack.url, 'PATCH', `/tenants/${ctx.tenant.id}`, { notificationEmails: ['not an address'] }))
        .status,
    ).toBe(400);
    expect((await admin(ctx.stack.url, 'PATCH', `/tenants/${ctx.tenant.id}`, { notificationEmails: [] })).status).toBe(
      400,
    );
    expect((await admin(ctx.stack.url, 'PATCH', `/tenants/${ctx.tenant.id}`, { notifyWindowSeconds: 0 })).status).toBe(
      400,
    );
  });
});
