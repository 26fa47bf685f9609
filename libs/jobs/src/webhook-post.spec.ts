import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { postWebhook, signature, type WebhookPost } from './webhook-post';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real endpoint on loopback: what it received, and how many connections it was opened. */
async function endpoint(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const received: Received[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res);
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the endpoint is not on a TCP port');
  servers.push(server);
  return {
    port: address.port,
    received,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A post to `url`, connecting to 127.0.0.1 whatever the name. */
function post(url: string, overrides: Partial<WebhookPost> = {}): Promise<string | undefined> {
  return postWebhook({
    url,
    target: { address: '127.0.0.1', family: 4 },
    secret: 'endpoint-secret',
    body: '{"jti":"e1","seq":7}',
    eventId: 'e1',
    sequence: 7,
    tenantId: 't1',
    timeoutMs: 2_000,
    ...overrides,
  });
}

describe('postWebhook', () => {
  it('posts the signed body to the checked address, under the endpoint name, path and query', async () => {
    const hook = await endpoint((_req, res) => res.writeHead(202).end());
    // `.invalid` never resolves (RFC 6761): the post can only have reached the pinned address.
    expect(await post(`http://hooks.example.invalid:${hook.port}/in?via=test`)).toBeUndefined();
    const [got] = hook.received;
    expect(got).toMatchObject({ method: 'POST', url: '/in?via=test', body: '{"jti":"e1","seq":7}' });
    expect(got?.headers).toMatchObject({
      host: `hooks.example.invalid:${hook.port}`,
      'content-type': 'application/json',
      'content-length': '20',
      'x-scimflow-signature': signature('endpoint-secret', '{"jti":"e1","seq":7}'),
      'x-scimflow-event-id': 'e1',
      'x-scimflow-sequence': '7',
      'x-scimflow-tenant': 't1',
    });
  });

  it('keeps the connection alive between posts to one endpoint', async () => {
    const hook = await endpoint((_req, res) => res.writeHead(200).end('ok'));
    for (let n = 0; n < 5; n++) expect(await post(`http://127.0.0.1:${hook.port}/`)).toBeUndefined();
    expect(hook.received).toHaveLength(5);
    // One request at a time: a second connection at most, opened while the first is finishing.
    expect(hook.connections()).toBeLessThanOrEqual(2);
  });

  it('counts any answer but a 2xx as a failure, and does not follow a redirect', async () => {
    const failing = await endpoint((_req, res) => res.writeHead(500).end('down'));
    expect(await post(`http://127.0.0.1:${failing.port}/`)).toBe('HTTP 500');
    const moved = await endpoint((req, res) =>
      req.url === '/old' ? res.writeHead(302, { location: '/new' }).end() : res.writeHead(204).end(),
    );
    expect(await post(`http://127.0.0.1:${moved.port}/old`)).toBe('HTTP 302');
    expect(moved.received.map((got) => got.url)).toEqual(['/old']);
  });

  it('gives up on an endpoint that does not answer in time, and says so', async () => {
    const silent = await endpoint(() => undefined);
    expect(await post(`http://127.0.0.1:${silent.port}/`, { timeoutMs: 200 })).toBe('Error: no answer within 200 ms');
  });

  it('reports a refused connection and a refused target without posting', async () => {
    const closed = await endpoint(() => undefined);
    await closed.close();
    expect(await post(`http://127.0.0.1:${closed.port}/`)).toMatch(/ECONNREFUSED/);
    expect(await post('http://10.0.0.1/', { target: { refused: 'private or reserved address (10.0.0.1)' } })).toBe(
      'private or reserved address (10.0.0.1)',
    );
  });
});
