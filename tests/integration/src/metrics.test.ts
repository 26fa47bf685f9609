import type { NotifierHandle } from '../../../services/notifier/src/start-notifier';
import type { WorkerHandle } from '../../../services/worker/src/start-worker';
import { parseExposition, type Sample, type Scrape } from '../../support/prometheus-text';
import { useStack } from '../../support/stack';

// Issue 11: /metrics on ingress, worker and notifier in Prometheus text format, without tenants.
const ctx = useStack({ tenant: 'metered', worker: false });
let worker: WorkerHandle;
let notifier: NotifierHandle;

beforeAll(async () => {
  worker = await ctx.stack.startWorker();
  // Nothing is mailed here: the transport connects only when a digest is sent.
  notifier = await ctx.stack.startNotifier({ SMTP_URL: 'smtp://127.0.0.1:9' });
});

/** A scrape, checked against the text format. */
async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/** The samples named `name` whose labels include `labels`. */
function find(scraped: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scraped.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The one value of `name` with `labels` (0 when the series is absent). */
function valueOf(scraped: Scrape, name: string, labels: Record<string, string> = {}): number {
  return find(scraped, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

describe('/metrics', () => {
  it('is checked by a strict reader of the text format', () => {
    expect(() => parseExposition('# TYPE a counter\na{x="1"} 2\n')).not.toThrow();
    expect(() => parseExposition('a 1\n')).toThrow(/no declared family/);
    expect(() => parseExposition('# TYPE a counter\na{x=1} 2\n')).toThrow(/malformed label/);
    expect(() => parseExposition('# TYPE a counter\na two\n')).toThrow(/not a sample/);
    // prom-client's spelling of NaN, seen when a scrape came before the event loop's first sample.
    expect(parseExposition('# TYPE g gauge\ng Nan\ng{x="1"} +Inf\n').samples.map((s) => s.value)).toEqual([
      NaN,
      Infinity,
    ]);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket 2\n')).toThrow(/without le/);
  });

  it('on the ingress: requests by route pattern and status, latency, reply wait, batches; no tenant anywhere', async () => {
    const { tenant } = ctx;
    expect((await tenant.scim.post('/Users', { userName: 'metered@example.com' })).status).toBe(201);
    expect((await tenant.scim.get('/Users/0190a0b0-0000-7000-8000-000000000404')).status).toBe(404);
    expect((await tenant.scim.withToken('wrong-token-0123456789').get('/Users')).status).toBe(401);
    expect((await fetch(`${ctx.stack.url}/no/such/${tenant.id}`)).status).toBe(404);

    const scraped = await scrape(`${ctx.stack.url}/metrics`);
    const requests = 'scimflow_http_requests_total';
    expect(scraped.types.get(requests)).toBe('counter');
    expect(valueOf(scraped, requests, { route: '/scim/v2/:tenantId/Users', method: 'POST', status: '201' })).toBe(1);
    expect(valueOf(scraped, requests, { route: '/scim/v2/:tenantId/Users/:id', method: 'GET', status: '404' })).toBe(1);
    expect(valueOf(scraped, requests, { route: '/scim/v2/:tenantId/Users', method: 'GET', status: '401' })).toBe(1);
    expect(valueOf(scraped, requests, { route: 'unmatched', status: '404' })).toBe(1);
    expect(scraped.types.get('scimflow_http_request_duration_seconds')).toBe('histogram');
    expect(valueOf(scraped, 'scimflow_command_reply_wait_seconds_count', { status: '201' })).toBe(1);
    expect(valueOf(scraped, 'scimflow_command_batch_size_count')).toBe(1);
    expect(scraped.types.get('scimflow_process_cpu_seconds_total')).toBe('counter');
    for (const sample of scraped.samples) {
      expect(sample.labels.service).toBe('ingress');
      expect(JSON.stringify(sample.labels)).not.toContain(tenant.id);
    }
  });

  it('on the worker: batches, their size and time, queue wait and depth, webhook deliveries', async () => {
    const scraped = await scrape(`http://127.0.0.1:${worker.healthPort}/metrics`);
    expect(valueOf(scraped, 'scimflow_command_batches_total', { outcome: 'completed' })).toBe(1);
    for (const name of [
      'scimflow_command_batch_commands',
      'scimflow_command_batch_duration_seconds',
      'scimflow_queue_wait_seconds',
    ])
      expect(valueOf(scraped, `${name}_count`)).toBe(1);
    expect(find(scraped, 'scimflow_queue_jobs', { queue: 'commands', state: 'waiting' })).toHaveLength(1);
    expect(find(scraped, 'scimflow_queue_jobs', { queue: 'notifications', state: 'failed' })).toHaveLength(1);
    expect(scraped.types.get('scimflow_webhook_deliveries_total')).toBe('counter');
    expect(find(scraped, 'scimflow_webhook_lag_events_max')).toEqual([expect.objectContaining({ value: 0 })]);
    expect(find(scraped, 'scimflow_outbox_failures_pending')).toHaveLength(1);
    expect(scraped.types.get('scimflow_nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('on the notifier: failures filed and digests by outcome', async () => {
    const scraped = await scrape(`http://127.0.0.1:${notifier.healthPort}/metrics`);
    expect(scraped.types.get('scimflow_failures_recorded_total')).toBe('counter');
    expect(scraped.types.get('scimflow_digests_total')).toBe('counter');
    expect(find(scraped, 'scimflow_process_resident_memory_bytes', { service: 'notifier' })).toHaveLength(1);
  });
});
