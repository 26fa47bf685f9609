import type { Job, Queue } from 'bullmq';
import {
  pruneAppliedCommands,
  pruneNotifications,
  pruneOutbox,
  pruneProvisioningLog,
  webhooksBehind,
  type Db,
} from '@scimflow/db';
import type { JobMap } from '@scimflow/jobs';
import type { Logger } from '@scimflow/telemetry';
import type { WebhookDelivery } from './webhook-delivery';

const HOUR_MS = 3_600_000;

export type MaintenanceJob =
  'maintenance.prune-applied-commands' | 'maintenance.prune-logs' | 'maintenance.sweep-webhooks';

/** Job schedulers are upserts: every worker declares them, Redis keeps one of each. */
export async function scheduleMaintenance(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    'prune-applied-commands',
    { every: HOUR_MS },
    { name: 'maintenance.prune-applied-commands', data: { olderThanMs: 24 * HOUR_MS } },
  );
  await queue.upsertJobScheduler('prune-logs', { every: HOUR_MS }, { name: 'maintenance.prune-logs', data: {} });
  await queue.upsertJobScheduler('sweep-webhooks', { every: 30_000 }, { name: 'maintenance.sweep-webhooks', data: {} });
}

export async function runMaintenance(
  job: Job<JobMap[MaintenanceJob], number, MaintenanceJob>,
  deps: { db: Db; delivery: WebhookDelivery; logger: Logger },
): Promise<number> {
  const { db, logger } = deps;
  switch (job.name) {
    case 'maintenance.prune-applied-commands': {
      const { olderThanMs } = job.data as JobMap['maintenance.prune-applied-commands'];
      const removed = await pruneAppliedCommands(db, new Date(Date.now() - olderThanMs));
      logger.info({ removed }, 'pruned applied-command records');
      return removed;
    }
    case 'maintenance.prune-logs': {
      const now = new Date();
      const log = await pruneProvisioningLog(db, now);
      const outbox = await pruneOutbox(db, now);
      const digests = await pruneNotifications(db, new Date(now.getTime() - 30 * 24 * HOUR_MS));
      logger.info({ log, outbox, digests }, 'pruned provisioning log, event log and digests past retention');
      return log + outbox + digests;
    }
    case 'maintenance.sweep-webhooks': {
      const behind = await webhooksBehind(db);
      for (const key of behind) await deps.delivery.drain(key, false);
      return behind.length;
    }
  }
}
