import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { testEnvironment } from '../../../tests/support/test-database';
import { createJobWorker, isJobOf, JobQueue, QUEUE_OF, QueueName } from './index';

describe('typed queues', () => {
  let redis: Redis;
  const prefix = `{q-${randomBytes(4).toString('hex')}}`;

  beforeAll(() => {
    redis = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('names one queue for every job', () => {
    const queues = new Set<string>(Object.values(QueueName));
    for (const [job, queue] of Object.entries(QUEUE_OF)) {
      expect(queues.has(queue)).toBe(true);
      expect(isJobOf(queue, job)).toBe(true);
    }
    expect(isJobOf('webhooks', 'digest.send')).toBe(false);
    expect(isJobOf('notifications', 'no.such.job')).toBe(false);
  });

  it('routes each job to its handler, and fails a name the queue does not carry for good', async () => {
    const seen: string[] = [];
    const [workerConnection, eventsConnection] = [redis.duplicate(), redis.duplicate()];
    const queue = new JobQueue(QueueName.notifications, { connection: redis, prefix });
    const worker = createJobWorker(
      QueueName.notifications,
      {
        'failures.recorded': async ({ failures }) => void seen.push(`failures ${failures.length}`),
        'digest.send': async ({ digestId }) => void seen.push(`send ${digestId}`),
        'digest.sweep': async () => void seen.push('sweep'),
      },
      { connection: workerConnection, prefix },
    );
    const events = new QueueEvents(QueueName.notifications, { connection: eventsConnection, prefix });
    await events.waitUntilReady();
    const failed = new Promise<string>((resolve) => events.on('failed', ({ failedReason }) => resolve(failedReason)));
    const raw = new Queue(QueueName.notifications, { connection: redis, prefix });
    try {
      const sent = await queue.add('digest.send', { digestId: 'd-1' });
      await sent.waitUntilFinished(events, 10_000);
      // A producer that bypassed JobQueue: the consumer refuses it instead of guessing.
      const foreign = await raw.add('webhook.retry', { tenantId: 't', webhookId: 'w' }, { attempts: 3 });
      expect(await failed).toContain("has no job 'webhook.retry'");
      expect((await raw.getJob(foreign.id ?? ''))?.attemptsMade).toBe(1);
      expect(seen).toEqual(['send d-1']);
    } finally {
      await Promise.all([worker.close(), events.close(), raw.close(), queue.close()]);
      workerConnection.disconnect();
      eventsConnection.disconnect();
    }
  });
});
