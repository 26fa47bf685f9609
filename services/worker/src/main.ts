import { loadConfig } from '@scimflow/config';
import { createLogger, drainOnSignal, runMain } from '@scimflow/telemetry';
import { startWorker } from './start-worker';

runMain(async () => {
  const config = loadConfig(process.env, 'worker');
  const logger = createLogger({ level: config.logLevel, service: 'worker', format: config.logFormat });
  const handle = await startWorker(config, logger);
  drainOnSignal(() => handle.close(), logger);
});
