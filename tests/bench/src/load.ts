// Load generators for `npm run bench`: closed loop (autocannon, N connections) and open loop (a
// fixed arrival rate, whatever the latency: what many tenants' identity providers add up to).
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { sampleRss } from '../../support/processes';
import { parseExposition } from '../../support/prometheus-text';

export interface Figures {
  /** CPU ms per request by process group (ingress, worker, Postgres, Redis, the load generator). */
  cpuMsPerRequest?: Record<string, number>;
  reqPerSec: number;
  p50: number;
  p99: number;
  rssMb: number;
  errors: number;
  /** scimflow only: commands the ingress sent per queue job over the run (how much batching formed). */
  commandsPerJob?: number;
}

/** The ingress's batch-size histogram so far (sum of commands, count of jobs), from its /metrics. */
export async function batchTotals(scimUrl: string): Promise<{ commands: number; jobs: number }> {
  const { samples } = parseExposition(await (await fetch(`${scimUrl}/metrics`)).text());
  const read = (name: string) => samples.find((sample) => sample.name === name)?.value ?? 0;
  return { commands: read('scimflow_command_batch_size_sum'), jobs: read('scimflow_command_batch_size_count') };
}

export async function closedLoop(
  url: string,
  headers: Record<string, string>,
  requests: autocannon.Request[],
  pids: (number | undefined)[],
  options: { connections: number; durationS?: number; amount?: number },
): Promise<Figures & { statuses: Record<string, number> }> {
  const stop = sampleRss(pids);
  const result: Result = await autocannon({
    url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
    headers,
    requests,
  });
  const peak = stop();
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb: peak / 1024 / 1024,
    errors: result.errors + result.timeouts + result.non2xx,
    statuses: statusCounts(result),
  };
}

function statusCounts(result: Result): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) codes[code] = count.count ?? 0;
  return codes;
}

/** One request of an open-loop run: what to send, and to whom. */
export interface OpenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface OpenLoopFigures {
  readonly rate: number;
  readonly sent: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers and transport errors. */
  readonly errors: number;
  readonly statuses: Record<string, number>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

/**
 * Sends `rate` requests a second for `durationS` seconds, evenly spaced and without waiting for
 * answers (open loop), and reports latency percentiles of all of them.
 */
export async function openLoop(
  baseUrl: string,
  rate: number,
  durationS: number,
  next: (n: number) => OpenRequest,
  /** Names the BENCH_TRACE file: `<traceName>-<rate>.json`. */
  traceName = 'open',
): Promise<OpenLoopFigures> {
  const url = new URL(baseUrl);
  const total = Math.round(rate * durationS);
  const latencies: number[] = [];
  const trace: { at: number; ms: number; method: string; status: number }[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const spec = next(n);
    const record = async () => {
      try {
        const sentAt = performance.now() - started;
        const { status, ms } = await send(url, spec);
        latencies.push(ms);
        trace.push({ at: Math.round(sentAt), ms: Math.round(ms), method: spec.method, status });
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 300) errors++;
      } catch {
        errors++;
        statuses.error = (statuses.error ?? 0) + 1;
      }
    };
    inFlight.push(record());
  }
  await Promise.all(inFlight);
  // BENCH_TRACE=<dir>: every open-loop request's send time, latency and kind, to see where a tail comes from.
  if (process.env.BENCH_TRACE)
    writeFileSync(path.join(process.env.BENCH_TRACE, `${traceName}-${rate}.json`), JSON.stringify(trace));
  const sorted = latencies.toSorted((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { rate, sent: total, p50: Math.round(pick(0.5)), p99: Math.round(pick(0.99)), errors, statuses };
}

function send(url: URL, spec: OpenRequest): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers: spec.headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}
