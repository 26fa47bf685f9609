import { createServer, type Server } from 'node:http';
import { admin } from '../../support/admin-client';
import { ProcessStack } from '../../support/process-stack';
import { waitFor, waitForHttp } from '../../support/processes';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** SpanKind values in OTLP (opentelemetry-proto trace.proto). */
const Kind = { server: 2, producer: 4, consumer: 5 } as const;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function textAttribute(span: ReceivedSpan, name: string): string | undefined {
  const value = span.attributes[name];
  return typeof value === 'string' ? value : undefined;
}

function attributes(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  );
}

/** Just enough of an OTLP/HTTP collector: receives JSON span exports (what Jaeger does in compose). */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body) as OtlpExport;
      for (const resourceSpans of payload.resourceSpans ?? []) {
        const service = String(attributes(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributes(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, spans, server };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stack: ProcessStack;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await ProcessStack.create({
    preload: true,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  await stack.startIngress();
  stack.startWorker();
  await waitForHttp(`${stack.url}/readyz`);
});
afterAll(async () => {
  await stack.stop();
  await new Promise((resolve) => receiver.server.close(resolve));
});

describe('tracing', () => {
  it('puts the HTTP request, the enqueue, the worker job and its SQL in one trace', async () => {
    const tenant = await stack.createTenant('traced');
    const created = await tenant.scim.post('/Users', { userName: 'traced@example.com' });
    expect(created.status).toBe(201);

    const isRequest = (span: ReceivedSpan) =>
      span.service === 'scimflow-ingress' &&
      span.kind === Kind.server &&
      span.name.startsWith('POST') &&
      (textAttribute(span, 'http.route') ?? textAttribute(span, 'url.path') ?? '').includes('Users');
    await waitFor(() => receiver.spans.some(isRequest), 15_000, 'the ingress request span');
    const traceId = (receiver.spans.find(isRequest) as ReceivedSpan).traceId;
    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    const has = {
      enqueue: (s: ReceivedSpan) => s.service === 'scimflow-ingress' && s.kind === Kind.producer,
      job: (s: ReceivedSpan) => s.service === 'scimflow-worker' && s.kind === Kind.consumer,
      command: (s: ReceivedSpan) => s.service === 'scimflow-worker' && s.name === 'scim user.create',
      sql: (s: ReceivedSpan) =>
        s.service === 'scimflow-worker' &&
        (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql',
    };
    await waitFor(
      () => Object.values(has).every((predicate) => inTrace().some(predicate)),
      15_000,
      `all spans of trace ${traceId}: ${JSON.stringify(inTrace().map((s) => [s.service, s.kind, s.name]))}`,
    );

    if (process.env.SHOW_TRACE)
      console.log(
        inTrace()
          .map(
            (s) =>
              `${s.service} kind=${s.kind} ${s.name} parent=${s.parentSpanId.slice(0, 4)} id=${s.spanId.slice(0, 4)}`,
          )
          .join('\n'),
      );
    const sql = inTrace()
      .filter(has.sql)
      .map((s) => textAttribute(s, 'db.query.text') ?? textAttribute(s, 'db.statement') ?? s.name);
    expect(sql.some((text) => /insert into "?users"?/i.test(text))).toBe(true);
    // Tokens never reach span attributes.
    expect(JSON.stringify(receiver.spans)).not.toContain(tenant.token);
    // The provisioning log line names the same trace, so an admin can jump from the log to Jaeger.
    const log = await admin(stack.url, 'GET', `/tenants/${tenant.id}/logs`);
    expect(log.body.items?.[0]).toMatchObject({ resourceName: 'traced@example.com', traceId, requestId: traceId });
    // With tracing on, the request id the client sees is the trace id.
    expect(created.headers.get('x-request-id')).toBe(traceId);
  });
});
