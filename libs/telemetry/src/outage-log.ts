import type { Logger } from 'pino';

export interface OutageLog {
  /** Something needing the dependency failed: logged when it goes down, then summarised. */
  failed(error: unknown): void;
  /** It worked again: logged once, with how long it was down and how often it failed. */
  recovered(): void;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One warning when a dependency goes away, a summary every `summaryMs` while it stays away, and one
 * line when it is back — instead of a line (and a stack) for every reconnect attempt of every
 * connection. All of it JSON, through the service's logger.
 */
export function outageLog(logger: Logger, dependency: string, summaryMs = 60_000): OutageLog {
  let down: { since: number; failures: number; timer: NodeJS.Timeout } | undefined;
  return {
    failed(error) {
      if (down) {
        down.failures++;
        return;
      }
      const since = Date.now();
      logger.warn({ dependency, error: message(error) }, `${dependency} unavailable`);
      const timer = setInterval(() => {
        if (!down) return;
        logger.warn(
          { dependency, downForS: Math.round((Date.now() - down.since) / 1000), failures: down.failures },
          `${dependency} still unavailable`,
        );
      }, summaryMs);
      timer.unref();
      down = { since, failures: 1, timer };
    },
    recovered() {
      if (!down) return;
      clearInterval(down.timer);
      logger.info(
        { dependency, downForS: Math.round((Date.now() - down.since) / 1000), failures: down.failures },
        `${dependency} available again`,
      );
      down = undefined;
    },
  };
}
