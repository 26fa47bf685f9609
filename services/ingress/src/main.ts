import { loadConfig } from '@scimflow/config';
import { createLogger, drainOnSignal, runMain } from '@scimflow/telemetry';
import { startIngress } from './start-ingress';

runMain(async () => {
  const config = loadConfig(process.env, 'ingress');
  const logger = createLogger({ level: config.logLevel, service: 'ingress', format: config.logFormat });
  const handle = await startIngress(config, logger);
  drainOnSignal(() => handle.close(), logger);
});
