import { loadConfig } from '@scimflow/config';
import { createLogger, drainOnSignal, runMain } from '@scimflow/telemetry';
import { startNotifier } from './start-notifier';

runMain(async () => {
  const config = loadConfig(process.env, 'notifier');
  const logger = createLogger({ level: config.logLevel, service: 'notifier', format: config.logFormat });
  const handle = await startNotifier(config, logger);
  drainOnSignal(() => handle.close(), logger);
});
