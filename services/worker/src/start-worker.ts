import type { WorkerConfig } from '@scimflow/config';
import { createDatabase, pingDatabase, schemaReadiness, uuidv7 } from '@scimflow/db';
import { createJobWorker, createRedis, JobQueue, QueueName, startWorkerHeartbeat, watchRedis } from '@scimflow/jobs';
import { checkReadiness, closeConsumers, portOf, startHealthServer, type Logger } from '@scimflow/telemetry';
import { startCommandWorkers } from './commands/start-command-worker';
import { TenantProfiles } from './commands/tenant-profiles';
import { startEventServices } from './events/start-event-services';
import { maintenanceHandlers, scheduleMaintenance } from './maintenance';
import { workerOutages } from './outages';
import { createWorkerMetrics } from './worker-metrics';

export interface WorkerHandle {
  /** Port of the /healthz and /readyz server. */
  readonly healthPort: number;
  /** Stops taking jobs, lets the ones in progress finish (up to the shutdown timeout), then disconnects. */
  close(): Promise<void>;
}

/** The worker process: applying commands, and (meeting them only through the database) the event pipeline. */
export async function startWorker(config: WorkerConfig, logger: Logger): Promise<WorkerHandle> {
  const db = createDatabase({
    url: config.databaseUrl,
    poolSize: config.db.poolSize,
    applicationName: 'scimflow-worker',
  });
  const outages = workerOutages(logger);
  const connection = createRedis(config.redis, 'worker', 'scimflow-worker');
  watchRedis(connection, outages.redis);
  const publisher = createRedis(config.redis, 'worker', 'scimflow-worker-replies');
  // Fails fast while Redis is away, so a scrape answers without the queue depths instead of hanging.
  const metricsRedis = createRedis(config.redis, 'queue-producer', 'scimflow-worker-metrics');
  metricsRedis.on('error', () => undefined);
  const counted = Object.values(QueueName).map(
    (name) =>
      new JobQueue(name, {
        connection: metricsRedis,
        prefix: config.queuePrefix,
        skipWaitingForReady: true,
        skipVersionCheck: true,
      }),
  );
  const metrics = createWorkerMetrics(counted, db);
  const events = startEventServices(config, db, logger, outages, metrics.deliveries);
  const profiles = new TenantProfiles(db, config.databaseUrl, logger);
  await profiles.start(logger);
  // The two sides meet only through the database: the command worker says what it committed.
  const commandWorkers = startCommandWorkers({
    config,
    db,
    connection,
    publisher,
    logger,
    afterCommit: (committed) => events.afterCommit(committed),
    profiles,
    outages,
    metrics,
  });

  const maintenanceConnection = createRedis(config.redis, 'worker', 'scimflow-maintenance');
  const maintenanceQueue = new JobQueue(QueueName.maintenance, {
    connection: maintenanceConnection,
    prefix: config.queuePrefix,
  });
  // In the background: with Redis away at start-up the worker still serves /healthz and /readyz,
  // and the schedulers are declared once it is back (they are upserts).
  void scheduleMaintenance(maintenanceQueue).catch((error: unknown) =>
    outages.report(error, 'could not schedule maintenance'),
  );
  const maintenance = createJobWorker(
    QueueName.maintenance,
    maintenanceHandlers({ db, delivery: events.delivery, logger }),
    {
      connection: maintenanceConnection,
      prefix: config.queuePrefix,
      concurrency: 1,
      removeOnComplete: { count: 10 },
      removeOnFail: { count: 100 },
    },
  );
  maintenance.on('error', (error) => outages.report(error, 'maintenance worker error'));

  const health = await startHealthServer(
    config.healthPort,
    () => commandWorkers.every((worker) => worker.isRunning()),
    () =>
      checkReadiness({ postgres: () => pingDatabase(db), redis: () => connection.ping() }, [
        { check: () => schemaReadiness(db), fallback: { schema: 'unknown' } },
      ]),
    metrics.registry,
  );
  const stopHeartbeat = startWorkerHeartbeat(publisher, config.queuePrefix, uuidv7());
  logger.info({ concurrency: config.concurrency, healthPort: portOf(health) }, 'worker started');

  return {
    healthPort: portOf(health),
    async close() {
      health.close();
      await stopHeartbeat();
      if (await closeConsumers([...commandWorkers, maintenance, events], config.shutdownTimeoutMs)) {
        logger.warn('shutdown timeout reached; unfinished jobs will be retried by another worker');
      }
      await maintenanceQueue.close();
      await Promise.all(counted.map((queue) => queue.close().catch(() => undefined)));
      await profiles.stop();
      await db.destroy();
      await Promise.all(
        [connection.quit(), publisher.quit(), maintenanceConnection.quit(), metricsRedis.quit()].map((p) =>
          p.catch(() => undefined),
        ),
      );
    },
  };
}
