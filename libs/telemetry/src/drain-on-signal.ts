import type { Logger } from 'pino';
import { shutdownTelemetry } from './shutdown-telemetry';

/** On SIGTERM/SIGINT: close the service (it drains in-flight work), flush spans, then let the process end. */
export function drainOnSignal(close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining in-flight work');
    close()
      .then(shutdownTelemetry)
      .then(() => logger.info('stopped'))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exitCode = 1;
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Entry-point wrapper: a failure to start is printed once and exits non-zero. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * Closes BullMQ consumers gracefully (running jobs finish), or by force once `timeoutMs` passed:
 * unfinished jobs then go back to another worker. Returns whether it had to force.
 */
export async function closeConsumers(
  consumers: readonly { close(force?: boolean): Promise<void> }[],
  timeoutMs: number,
): Promise<boolean> {
  const graceful = Promise.all(consumers.map((consumer) => consumer.close())).then(() => false);
  const timedOut = await Promise.race([
    graceful,
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
  ]);
  if (timedOut) await Promise.all(consumers.map((consumer) => consumer.close(true)));
  return timedOut;
}
