import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

/**
 * Bull Board at /admin/queues, behind the admin auth (the console's operator session in a
 * browser). Read-only: its retry and clean buttons are POSTs our auth refuses from a browser
 * session anyway, and a job retried by hand could apply a command after its client was told 503.
 */
export function queueBoard(queues: readonly Queue[]): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'scimflow queues' } },
  });
  return serverAdapter.getRouter();
}
