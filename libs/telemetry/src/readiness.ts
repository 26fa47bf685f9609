export type CheckStatus = 'up' | 'down';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckStatus>>;
}

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/** Runs named dependency checks in parallel, each bounded in time; ready when all are up. */
export async function checkReadiness(
  checks: Readonly<Record<string, () => Promise<unknown>>>,
): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const status: CheckStatus = await withTimeout(check()).then(
        () => 'up',
        () => 'down',
      );
      return [name, status] as const;
    }),
  );
  return { ready: entries.every(([, status]) => status === 'up'), checks: Object.fromEntries(entries) };
}
