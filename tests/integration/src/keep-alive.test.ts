import { connect, type Socket } from 'node:net';
import { useStack } from '../../support/stack';

// Identity providers and load balancers keep connections pooled for up to a minute. With Node's
// 5 s keep-alive the ingress closed a pooled connection just as a client reused it, and that request
// died with ECONNRESET ("socket hang up": seen in the bench's open loop as rates changed).
const ctx = useStack({ tenant: 'keep-alive' });

function request(path: string): string {
  const { pathname } = new URL(ctx.tenant.scim.baseUrl);
  return `GET ${pathname}${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${ctx.tenant.token}\r\n\r\n`;
}

/** Writes one request and resolves with the status line of the answer. */
function ask(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n\r\n')) return;
      socket.off('data', onData).off('end', onClose).off('error', onClose);
      resolve(received.slice(0, received.indexOf('\r\n')));
    };
    const onClose = () => reject(new Error(`the ingress closed the connection; got ${JSON.stringify(received)}`));
    socket.on('data', onData).once('end', onClose).once('error', onClose);
    socket.write(request(path));
  });
}

describe('kept-alive connections', () => {
  it('stay open through an idle pause longer than Node’s default keep-alive', async () => {
    const { port } = new URL(ctx.stack.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      expect(await ask(socket, '/ServiceProviderConfig')).toBe('HTTP/1.1 200 OK');
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(await ask(socket, '/ServiceProviderConfig')).toBe('HTTP/1.1 200 OK');
    } finally {
      socket.destroy();
    }
  }, 20_000);
});
