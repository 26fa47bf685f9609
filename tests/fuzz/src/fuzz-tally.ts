import type { FuzzRequest } from './fuzz-requests';
import type { FuzzAnswer } from './send-request';

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Failures printed in full; the rest are counted. */
const SHOWN = 20;

/** Why a 4xx body is not a SCIM Error (RFC 7644 §3.12), or undefined when it is one. */
function scimErrorProblem(status: number, body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'body is not an object';
  const error = parsed as { schemas?: unknown; status?: unknown; detail?: unknown };
  if (!Array.isArray(error.schemas) || !error.schemas.includes(ERROR_URN)) return 'no Error schema';
  if (error.status !== String(status)) return `status ${String(error.status)} in the body`;
  if (typeof error.detail !== 'string' || error.detail === '') return 'no detail';
  return undefined;
}

/** Counts of what the fuzzer saw, and the failures: 5xx, hangs, non-SCIM 4xx, anything fatal. */
export class FuzzTally {
  total = 0;
  readonly failures: string[] = [];
  private readonly byStatus = new Map<string, number>();
  private readonly byKind = new Map<string, Map<string, number>>();
  private readonly latencies: number[] = [];

  constructor(private readonly hangMs: number) {}

  add(request: FuzzRequest, answer: FuzzAnswer): void {
    this.total++;
    const label = answer.kind === 'status' ? String(answer.status) : answer.kind;
    this.byStatus.set(label, (this.byStatus.get(label) ?? 0) + 1);
    const kind = this.byKind.get(request.kind) ?? new Map<string, number>();
    kind.set(label, (kind.get(label) ?? 0) + 1);
    this.byKind.set(request.kind, kind);
    const what = `${request.method} ${request.path.slice(0, 160)} (${request.kind})`;
    if (answer.kind === 'hang') this.fail(`no answer within ${this.hangMs} ms: ${what}`);
    if (answer.kind !== 'status') return;
    this.latencies.push(answer.ms);
    if (answer.status >= 500) this.fail(`${answer.status} for ${what}: ${answer.body.slice(0, 300)}`);
    else if (answer.status >= 400 && request.method !== 'HEAD') {
      const problem = scimErrorProblem(answer.status, answer.body);
      if (problem)
        this.fail(`${answer.status} without a SCIM Error (${problem}) for ${what}: ${answer.body.slice(0, 200)}`);
    }
  }

  fail(message: string): void {
    this.failures.push(message);
  }

  print(seconds: number, seed: number): void {
    const sorted = this.latencies.toSorted((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0);
    const statuses = Object.fromEntries([...this.byStatus.entries()].toSorted(([a], [b]) => a.localeCompare(b)));
    console.log(
      `\n${this.total} requests in ${seconds.toFixed(1)} s (${Math.round(this.total / seconds)}/s), seed ${seed}`,
    );
    console.log(`by status: ${JSON.stringify(statuses)}`);
    console.log(`latency ms: p50 ${at(0.5)}, p99 ${at(0.99)}, max ${Math.round(sorted.at(-1) ?? 0)}`);
    for (const [kind, counts] of [...this.byKind.entries()].toSorted(([a], [b]) => a.localeCompare(b)))
      console.log(`  ${kind.padEnd(20)} ${JSON.stringify(Object.fromEntries(counts))}`);
    if (this.failures.length > 0) {
      console.log(`\n${this.failures.length} FAILURES:`);
      for (const failure of this.failures.slice(0, SHOWN)) console.log(`  - ${failure}`);
      if (this.failures.length > SHOWN) console.log(`  … and ${this.failures.length - SHOWN} more`);
    } else console.log('\nno 5xx, no hang, no crash, every 4xx a SCIM Error, the other tenant untouched');
    console.log(
      `FUZZ_JSON ${JSON.stringify({ requests: this.total, seconds: Number(seconds.toFixed(1)), seed, statuses, p99Ms: at(0.99), failures: this.failures.length })}`,
    );
  }
}
