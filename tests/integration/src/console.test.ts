import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { admin } from '../../support/admin-client';
import { ARTIFACTS, launchBrowser } from '../../support/browser';
import { ScimClient } from '../../support/scim-client';
import { ADMIN_TOKEN, useStack } from '../../support/stack';

// Issue 11: the web console in a real browser (Debian's Chromium through playwright-core):
// operator sign-in, create a tenant, copy its token, a SCIM write in the log and the chart,
// and the customer admin's link to one tenant's Identity Provider page.
const ctx = useStack({ tenant: 'console-home' });
let browser: Browser;
let operator: BrowserContext;

beforeAll(async () => {
  browser = await launchBrowser();
  operator = await browser.newContext({ baseURL: ctx.stack.url });
  await operator.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.stack.url });
}, 30_000);
afterAll(() => browser?.close());

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage: true });

describe('the console', () => {
  let page: Page;
  let tenantUrl: string;
  let scim: ScimClient;

  it('signs the operator in with ADMIN_TOKEN, in an HttpOnly SameSite=Strict cookie', async () => {
    page = await operator.newPage();
    await page.goto('/console');
    expect(page.url()).toMatch(/\/console\/login$/);
    await page.fill('#token', 'not-the-admin-token');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('not the admin token');
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/console$/);
    const [cookie] = await operator.cookies();
    expect(cookie).toMatchObject({ name: 'scimflow_console', httpOnly: true, sameSite: 'Strict' });
    await shot(page, 'tenants');
  }, 30_000);

  it('creates a tenant and shows its endpoint and token once, with copy buttons', async () => {
    await page.fill('#name', 'Console Co');
    await page.click('text=Create tenant');
    await page.waitForSelector('[role=dialog]');
    const endpoint = await page.inputValue('#scim-url');
    const token = await page.inputValue('#scim-token');
    expect(endpoint).toMatch(new RegExp(`^${ctx.stack.url}/scim/v2/[0-9a-f-]{36}$`));
    await page.click('button[data-copy="scim-token"]');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    expect(await page.textContent('button[data-copy="scim-token"]')).toBe('Copied');
    await shot(page, 'scim-info');
    scim = new ScimClient(endpoint, token);
    tenantUrl = `/console/tenants/${endpoint.split('/').pop() ?? ''}`;
  }, 30_000);

  it("shows a SCIM write in the tenant's log, chart and progress, and finds the user", async () => {
    expect((await scim.post('/Users', { userName: 'ada@console.example' })).status).toBe(201);
    expect((await scim.post('/Users', { userName: 'ada@console.example' })).status).toBe(409);
    await page.goto(tenantUrl);
    expect(await page.textContent('table.log')).toContain('ada@console.example');
    expect(await page.textContent('table.log')).toContain('409 uniqueness');
    const chart = page.locator('figure.chart');
    expect(await chart.getAttribute('data-writes')).toBe('2');
    expect(await chart.getAttribute('data-failures')).toBe('1');
    expect(await page.locator('.progress').getAttribute('data-recent')).toBe('1');
    await page.click('#log >> text=Failures');
    expect(await page.locator('table.log tbody tr').count()).toBe(1);
    await page.fill('input[name=q]', 'ada');
    await page.click('#resources button[type=submit]');
    await page.waitForSelector('table.resources td');
    expect(await page.textContent('table.resources')).toContain('ada@console.example');
    await shot(page, 'tenant');
  }, 30_000);

  it('saves settings and refuses a bad one with its reason', async () => {
    await page.goto(tenantUrl);
    await page.fill('#emails', 'ops@console.example, it@console.example');
    await page.click('text=Save settings');
    expect(await page.textContent('.notice')).toContain('saved');
    expect(await page.inputValue('#emails')).toBe('ops@console.example, it@console.example');
    await page.fill('#window', '-5');
    await page.click('text=Save settings');
    expect(await page.textContent('.error')).toContain('notifyWindowSeconds');
  }, 30_000);

  it("gives the customer admin a link to that tenant's Identity Provider page only", async () => {
    await page.goto(tenantUrl);
    await page.click('text=Customer link (7 days)');
    const link = await page.inputValue('#customer-link');
    expect(link).toMatch(new RegExp(`^${ctx.stack.url}/console/idp\\?link=`));
    const customer = await browser.newContext({ baseURL: ctx.stack.url });
    const theirs = await customer.newPage();
    await theirs.goto(link);
    await theirs.waitForURL(/\/console\/idp$/);
    expect(await theirs.textContent('h1')).toContain('Console Co');
    expect(await theirs.inputValue('#endpoint')).toBe(scim.baseUrl);
    expect(await theirs.textContent('table.log')).toContain('ada@console.example');
    await theirs.fill('#emails', 'customer@console.example');
    await theirs.click('text=Save');
    expect(await theirs.textContent('.notice')).toContain('Saved');
    await shot(theirs, 'identity-provider');
    // Nothing of the operator's: the tenant list, the admin API and Bull Board are closed to it.
    await theirs.goto('/console');
    expect(theirs.url()).toMatch(/\/console\/login$/);
    expect((await theirs.request.get('/admin/tenants')).status()).toBe(401);
    expect((await theirs.request.get('/admin/queues/')).status()).toBe(401);
    await theirs.goto('/console/idp?link=forged.link');
    expect(await theirs.textContent('.error')).toContain('invalid or has expired');
    await customer.close();
  }, 30_000);

  it('lets the customer regenerate the token; the old one stops working at once', async () => {
    const customer = await browser.newContext({ baseURL: ctx.stack.url });
    await page.goto(tenantUrl);
    await page.click('text=Customer link (7 days)');
    const theirs = await customer.newPage();
    await theirs.goto(await page.inputValue('#customer-link'));
    await theirs.click('text=Regenerate SCIM token');
    const token = await theirs.inputValue('#scim-token');
    expect((await scim.get('/Users')).status).toBe(401);
    expect((await scim.withToken(token).get('/Users')).status).toBe(200);
    await customer.close();
  }, 30_000);

  it('test-sends to a webhook and replays its dead letters from the tenant page', async () => {
    const tenantId = tenantUrl.split('/').pop() ?? '';
    await admin(ctx.stack.url, 'POST', `/tenants/${tenantId}/webhooks`, { url: 'http://127.0.0.1:9/' });
    await page.goto(tenantUrl);
    expect(await page.textContent('#webhooks')).toContain('http://127.0.0.1:9/');
    await page.click('#webhooks >> text=Test-send');
    expect(await page.textContent('main .error')).toContain('Not delivered');
    await page.click('#webhooks >> text=Replay dead letters');
    expect(await page.textContent('main .notice')).toContain('0 dead letters delivered, 0 left');
  }, 30_000);

  it('refuses a form posted without the session’s CSRF token, and serves Bull Board to the operator', async () => {
    const forged = await page.request.post('/console/tenants', { form: { name: 'forged' } });
    expect(forged.status()).toBe(403);
    const board = await page.goto('/admin/queues/');
    expect(board?.status()).toBe(200);
    await page.waitForSelector('text=commands');
    await shot(page, 'queues');
    const docs = await page.goto('/admin/docs');
    expect(docs?.status()).toBe(200);
    expect(await page.textContent('main')).toContain('PATCH /tenants/{id}');
  }, 30_000);

  it('answers a flood of wrong admin tokens at sign-in with 429, as bad SCIM tokens are', async () => {
    const attempt = () =>
      fetch(`${ctx.stack.url}/console/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=guess-0123456789',
        redirect: 'manual',
      });
    const statuses: number[] = [];
    for (let n = 0; n < 25; n++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const refused = await attempt();
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // The right token still signs in: only failures are counted and refused.
    const right = await fetch(`${ctx.stack.url}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
      redirect: 'manual',
    });
    expect(right.status).toBe(303);
    // The admin API counts wrong bearer tokens against the same allowance.
    const api = await fetch(`${ctx.stack.url}/admin/tenants`, {
      headers: { authorization: 'Bearer guess-0123456789' },
    });
    expect(api.status).toBe(429);
    expect(
      (await fetch(`${ctx.stack.url}/admin/tenants`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
    ).toBe(200);
  });
});
