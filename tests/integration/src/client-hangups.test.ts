import { connect } from 'node:net';
import { waitFor } from '../../support/processes';
import { useStack } from '../../support/stack';

// Issue 10: a client that hangs up is not an error of ours: nothing at warn or above, and a write
// it stopped waiting for is still applied (the identity provider's retry then sees it).
const ctx = useStack({ tenant: 'hangups', env: { TENANT_WRITES_PER_SECOND: '10000', TENANT_WRITE_BURST: '10000' } });

/** Sends raw HTTP to the ingress, waits for `until` (a first response byte, or a pause), then hangs up. */
async function hangUp(request: string, until: 'first-byte' | number): Promise<string> {
  const { port } = new URL(ctx.stack.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve, reject) => socket.write(request, (error) => (error ? reject(error) : resolve())));
  let received = '';
  await new Promise<void>((resolve) => {
    if (until === 'first-byte') {
      socket.once('data', (chunk: Buffer) => {
        received = chunk.toString('latin1');
        // Stop reading, so the server meets backpressure, then go.
        socket.pause();
        resolve();
      });
    } else setTimeout(resolve, until);
  });
  socket.destroy();
  return received;
}

function head(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: '127.0.0.1', authorization: `Bearer ${ctx.tenant.token}`, ...headers }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  return `${method} ${new URL(ctx.tenant.scim.baseUrl).pathname}${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

const loud = () => ctx.stack.logLines.filter((line) => line.level >= 40);

describe('a client hanging up', () => {
  let group: string;
  beforeAll(async () => {
    const { scim } = ctx.tenant;
    const ids: string[] = [];
    // Enough users that a full page doesn't fit in the sockets' buffers at once.
    for (let start = 0; start < 1_000; start += 50) {
      const batch = Array.from({ length: 50 }, (_, n) => start + n);
      const created = await Promise.all(
        batch.map((n) =>
          scim.post('/Users', {
            userName: `user-${n}@example.com`,
            // ~12 MB in all: more than loopback's socket buffers hold.
            displayName: `User ${n} ${'x'.repeat(4_000)}`,
            nickName: 'y'.repeat(4_000),
            title: 'z'.repeat(4_000),
          }),
        ),
      );
      ids.push(...created.map((response) => String(response.body.id)));
    }
    // A group's members are streamed from the database as the client reads them.
    const everyone = await scim.post('/Groups', { displayName: 'Everyone', members: ids.map((value) => ({ value })) });
    if (everyone.status !== 201) throw new Error(`group not created: ${everyone.status}`);
    group = String(everyone.body.id);
  }, 60_000);

  it('is set up without a warning', () => {
    expect(loud()).toEqual([]);
  });

  it('mid-response (a large page, a streamed group) logs nothing', async () => {
    const streamed = await hangUp(head('GET', `/Groups/${group}`, {}), 'first-byte');
    expect(streamed).toMatch(/^HTTP\/1\.1 200/);
    const page = await hangUp(head('GET', '/Users?count=1000', {}), 'first-byte');
    expect(page).toMatch(/^HTTP\/1\.1 200/);
    const search = await hangUp(
      head('POST', '/.search', { 'content-type': 'application/scim+json', 'content-length': 2 }).concat('{}'),
      'first-byte',
    );
    expect(search).toMatch(/^HTTP\/1\.1 200/);
    // The server still answers everyone else.
    expect((await ctx.tenant.scim.get('/Users?count=1')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loud()).toEqual([]);
  });

  it('mid-body logs nothing and applies nothing', async () => {
    const body = JSON.stringify({ userName: 'half-sent@example.com' });
    await hangUp(
      head('POST', '/Users', { 'content-type': 'application/scim+json', 'content-length': body.length + 100 }).concat(
        body,
      ),
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loud()).toEqual([]);
    const found = await ctx.tenant.scim.get(
      `/Users?filter=${encodeURIComponent('userName eq "half-sent@example.com"')}`,
    );
    expect(found.body.totalResults).toBe(0);
  });

  it('while its write is applied logs nothing, and the write is kept', async () => {
    const body = JSON.stringify({ userName: 'impatient@example.com' });
    await hangUp(
      head('POST', '/Users', { 'content-type': 'application/scim+json', 'content-length': body.length }).concat(body),
      // Long enough for the ingress to have read it (a reset discards what it hasn't), about when it is applied.
      20,
    );
    await waitFor(
      async () =>
        (await ctx.tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq "impatient@example.com"')}`)).body
          .totalResults === 1,
      5_000,
      'the abandoned write to be applied',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loud()).toEqual([]);
  });
});
