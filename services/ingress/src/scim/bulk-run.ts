import { bulkIdReferences, ScimError, type BulkOperation, type BulkRequest, type ScimErrorData } from '@scimflow/scim';

/** What one operation came to, as §3.7.3 answers it. */
export type BulkResult =
  | { readonly ok: true; readonly status: number; readonly id?: string; readonly version?: number }
  | { readonly ok: false; readonly error: ScimErrorData };

export interface BulkRunOptions {
  /** Most operations in flight at once when failOnErrors is absent. */
  readonly concurrency: number;
  /** False once the client has gone: nothing more is started. */
  readonly stillWanted: () => boolean;
  /** An operation refused without running (its reference failed, or a cycle): logged as any refusal. */
  readonly refuse: (operation: BulkOperation, error: ScimError) => BulkResult;
}

/** Runs one operation, its bulkId references resolved (bulkId → created id). */
export type RunOperation = (operation: BulkOperation, ids: ReadonlyMap<string, string>) => Promise<BulkResult>;

interface Pending {
  readonly operation: BulkOperation;
  readonly refs: ReadonlySet<string>;
  /** The resource it acts on: operations on one resource run one after the other, in request order. */
  readonly targetKey: string | undefined;
}

/**
 * Runs a bulk request's operations and returns their results by index (RFC 7644 §3.7). Order is
 * the request's, except that an operation waits for the POSTs whose bulkIds it references (§3.7.2:
 * a group may name a user created later in the request). Consecutive operations of one kind on
 * distinct resources run together, up to `concurrency`, so 1,000 creates cost about what 1,000
 * separate requests would at the same concurrency; with failOnErrors they run one at a time, so
 * processing stops exactly at the error that reaches it (§3.7.3). An operation whose reference
 * failed fails with 409; references that can only resolve in a cycle fail with 409 (§3.7.1 lets a
 * service provider refuse circular references that way).
 */
export async function runBulk(
  request: BulkRequest,
  run: RunOperation,
  options: BulkRunOptions,
): Promise<Map<number, BulkResult>> {
  const defined = new Set(request.operations.flatMap((o) => (o.method === 'POST' && o.bulkId ? [o.bulkId] : [])));
  let pending: Pending[] = request.operations.map((operation) => ({
    operation,
    refs: bulkIdReferences(operation, defined),
    targetKey: targetKeyOf(operation),
  }));
  const results = new Map<number, BulkResult>();
  const created = new Map<string, string>();
  const failed = new Set<string>();
  const limit = request.failOnErrors === undefined ? options.concurrency : 1;
  let errors = 0;
  const settle = (operation: BulkOperation, result: BulkResult) => {
    results.set(operation.index, result);
    if (!result.ok) errors++;
    if (operation.bulkId === undefined || operation.method !== 'POST') return;
    if (result.ok && result.id !== undefined) created.set(operation.bulkId, result.id);
    else failed.add(operation.bulkId);
  };
  const stopped = () =>
    (request.failOnErrors !== undefined && errors >= request.failOnErrors) || !options.stillWanted();

  while (pending.length > 0 && !stopped()) {
    const broken = pending.find((p) => [...p.refs].some((ref) => failed.has(ref)));
    if (broken) {
      const ref = [...broken.refs].find((r) => failed.has(r));
      const detail = `bulkId "${ref}" could not be resolved: the operation that creates it failed`;
      settle(broken.operation, options.refuse(broken.operation, new ScimError(409, detail)));
      pending = pending.filter((p) => p !== broken);
      continue;
    }
    const wave = nextWave(pending, created, limit);
    if (wave.length === 0) {
      for (const p of pending)
        settle(
          p.operation,
          options.refuse(
            p.operation,
            new ScimError(409, 'Circular bulkId references: each of these waits for another'),
          ),
        );
      break;
    }
    const outcomes = await Promise.all(wave.map((p) => run(p.operation, created)));
    wave.forEach((p, index) => {
      const outcome = outcomes[index];
      if (outcome) settle(p.operation, outcome);
    });
    pending = pending.filter((p) => !wave.includes(p));
  }
  return results;
}

/**
 * The next operations to start: in request order, skipping (and holding back the resources of)
 * those still waiting for a reference, and stopping at the first that is of another kind or acts
 * on a resource an earlier operation of the wave is busy with.
 */
function nextWave(pending: readonly Pending[], created: ReadonlyMap<string, string>, limit: number): Pending[] {
  const wave: Pending[] = [];
  const held = new Set<string>();
  for (const p of pending) {
    const ready = [...p.refs].every((ref) => created.has(ref));
    const busy = p.targetKey !== undefined && held.has(p.targetKey);
    if (p.targetKey !== undefined) held.add(p.targetKey);
    if (!ready || (busy && wave.length === 0)) continue;
    const first = wave[0];
    if (busy || wave.length >= limit) break;
    if (first && (first.operation.method !== p.operation.method || first.operation.endpoint !== p.operation.endpoint))
      break;
    wave.push(p);
  }
  return wave;
}

function targetKeyOf(operation: BulkOperation): string | undefined {
  const target = operation.target;
  if (!target) return undefined;
  return 'id' in target
    ? `${operation.endpoint}/${target.id.toLowerCase()}`
    : `${operation.endpoint}/bulkId:${target.bulkId}`;
}
