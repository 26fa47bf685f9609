import { createServer, connect, type Server, type Socket } from 'node:net';
import { Stack, freePort, type Tenant } from '../../support/stack';
import { testEnvironment } from '../../support/test-database';

/** A TCP proxy in front of the real Redis that the test can cut and restore. */
class RedisProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    if (this.server?.listening) return;
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
  }

  async down(): Promise<void> {
    if (!this.server?.listening) return;
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

let proxy: RedisProxy;
let stack: Stack;
let tenant: Tenant;

beforeAll(async () => {
  const redis = new URL(testEnvironment().redisUrl);
  proxy = new RedisProxy(await freePort(), { host: redis.hostname, port: Number(redis.port || 6379) });
  await proxy.up();
  const proxied = new URL(redis.href);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  stack = await Stack.start({ env: { REDIS_URL: proxied.href } });
  tenant = await stack.createTenant();
});
afterAll(async () => {
  await proxy.up();
  await stack.stop();
  await proxy.down();
});

describe('Redis outage', () => {
  it('answers writes 503 at once, keeps serving reads, and recovers when Redis is back', async () => {
    const before = await tenant.scim.post('/Users', { userName: 'before@example.com' });
    expect(before.status).toBe(201);

    await proxy.down();
    const started = Date.now();
    const during = await tenant.scim.post('/Users', { userName: 'during@example.com' });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('2');
    expect(during.body).toMatchObject({ status: '503', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
    // Producers fail fast: no queueing in memory, no waiting for the reply timeout (10 s here).
    expect(Date.now() - started).toBeLessThan(5_000);

    expect((await tenant.scim.get(`/Users/${before.body.id as string}`)).status).toBe(200);
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ postgres: 'up', redis: 'down' });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);

    await proxy.up();
    const deadline = Date.now() + 20_000;
    let after = await tenant.scim.post('/Users', { userName: 'after@example.com' });
    while (after.status !== 201 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await tenant.scim.post('/Users', { userName: 'after@example.com' });
    }
    expect(after.status).toBe(201);
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
    // The write refused during the outage was never applied.
    expect(
      (await tenant.scim.get(`/Users?filter=${encodeURIComponent('userName eq "during@example.com"')}`)).body
        .totalResults,
    ).toBe(0);
  });
});
