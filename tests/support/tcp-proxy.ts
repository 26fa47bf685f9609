import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that can be cut: chaos tests put it in front of Postgres (or Redis) and pull the
 * plug — open connections are destroyed and new ones refused — then plug it back in, on the same
 * port, without touching the server behind it.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    if (!address || typeof address === 'string') throw new Error('no port');
    const proxy = new TcpProxy(target, address.port);
    await proxy.connect();
    return proxy;
  }

  /** Accepts connections again (after `cut`). */
  async connect(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Drops every connection and refuses new ones, as a database that went away does. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
