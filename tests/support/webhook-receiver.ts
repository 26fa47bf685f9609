import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface ReceivedDelivery {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly raw: string;
  readonly body: Record<string, unknown>;
  /** Whether X-Scimflow-Signature is the HMAC-SHA256 of the raw body with the endpoint's secret. */
  signatureValid(secret: string): boolean;
}

/** An app's webhook endpoint: records every POST and answers what `respond` says (200 by default). */
export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  respond: (delivery: ReceivedDelivery) => number = () => 200;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const delivery: ReceivedDelivery = {
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as Record<string, unknown>,
          signatureValid(secret) {
            const sent = Buffer.from(String(req.headers['x-scimflow-signature'] ?? ''));
            const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
            return sent.length === expected.length && timingSafeEqual(sent, expected);
          },
        };
        const status = receiver?.respond(delivery) ?? 500;
        if (status < 300) receiver?.deliveries.push(delivery);
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}/hooks`);
    return receiver;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
