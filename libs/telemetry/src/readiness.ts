export type CheckStatus = 'up' | 'down';

export interface ReadinessReport {
  readonly ready: boolean;
  /** `postgres: 'up'`, `redis: 'down'`, and what detailed checks add (`schema`, `workers`...). */
  readonly checks: Readonly<Record<string, string | number>>;
}

/** A check that says more than up or down: its fields go into the report; `ok` counts for readiness. */
export type DetailedCheck = () => Promise<{ readonly ok: boolean; readonly fields: Record<string, string | number> }>;

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/**
 * Runs named dependency checks in parallel, each bounded in time; ready when all are up and every
 * detailed check is ok. A detailed check that fails (its dependency is down) is not ready, with
 * `unknown` for its `fallback` fields.
 */
export async function checkReadiness(
  checks: Readonly<Record<string, () => Promise<unknown>>>,
  detailed: readonly { readonly check: DetailedCheck; readonly fallback: Record<string, string> }[] = [],
): Promise<ReadinessReport> {
  const [entries, details] = await Promise.all([
    Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const status: CheckStatus = await withTimeout(check()).then(
          () => 'up',
          () => 'down',
        );
        return [name, status] as const;
      }),
    ),
    Promise.all(
      detailed.map(({ check, fallback }) => withTimeout(check()).catch(() => ({ ok: false, fields: fallback }))),
    ),
  ]);
  return {
    ready: entries.every(([, status]) => status === 'up') && details.every((detail) => detail.ok),
    checks: Object.assign(Object.fromEntries(entries), ...details.map((detail) => detail.fields)),
  };
}
