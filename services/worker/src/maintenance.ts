import {
  pruneAppliedCommands,
  pruneNotifications,
  pruneOutbox,
  pruneProvisioningLog,
  webhooksBehind,
  type Db,
} from '@scimflow/db';
import type { JobHandlers, JobQueue } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';
import type { WebhookDelivery } from './events/webhook-delivery';

const HOUR_MS = 3_600_000;

/** Job schedulers are upserts: every worker declares them, Redis keeps one of each. */
export async function scheduleMaintenance(queue: JobQueue<'maintenance'>): Promise<void> {
  await queue.upsertJobScheduler('prune-applied-commands', { every: HOUR_MS }, 'maintenance.prune-applied-commands', {
    olderThanMs: 24 * HOUR_MS,
  });
  await queue.upsertJobScheduler('prune-logs', { every: HOUR_MS }, 'maintenance.prune-logs', {});
  // The safety net for a delivery nobody started (a crash after commit, an expired lease): cheap, so often.
  await queue.upsertJobScheduler('sweep-webhooks', { every: 5_000 }, 'maintenance.sweep-webhooks', {});
}

export function maintenanceHandlers(deps: {
  db: Db;
  delivery: WebhookDelivery;
  logger: Logger;
}): JobHandlers<'maintenance', number> {
  const { db, logger } = deps;
  return {
    'maintenance.prune-applied-commands': async ({ olderThanMs }) => {
      const removed = await pruneAppliedCommands(db, new Date(Date.now() - olderThanMs));
      logger.info({ removed }, 'pruned applied-command records');
      return removed;
    },
    'maintenance.prune-logs': async () => {
      const now = new Date();
      const log = await pruneProvisioningLog(db, now);
      const outbox = await pruneOutbox(db, now);
      const digests = await pruneNotifications(db, new Date(now.getTime() - 30 * 24 * HOUR_MS));
      logger.info({ log, outbox, digests }, 'pruned provisioning log, event log and digests past retention');
      return log + outbox + digests;
    },
    'maintenance.sweep-webhooks': async () => {
      const behind = await webhooksBehind(db);
      for (const key of behind) await deps.delivery.drain(key, false);
      return behind.length;
    },
  };
}
