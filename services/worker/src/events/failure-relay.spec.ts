import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { insertTenant, recordLogEntries } from '@scimflow/db';
import { JobQueue, QueueName, type JobMap } from '@scimflow/jobs';
import { createLogger } from '@scimflow/telemetry';
import { createTestDatabase, testEnvironment, type TestDatabase } from '../../../../tests/support/test-database';
import { workerOutages } from '../outages';
import { FailureRelay } from './failure-relay';

let t: TestDatabase;
let redis: Redis;
const prefix = `{f-${randomBytes(4).toString('hex')}}`;
const tenantId = randomUUID();
const logger = createLogger({ level: 'silent', service: 'test' });

beforeAll(async () => {
  t = await createTestDatabase();
  redis = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
  await insertTenant(t.db, { id: tenantId, name: 'relay', tokenHash: Buffer.alloc(32) });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await t.drop();
});

async function fail(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  await t.db.transaction().execute((trx) =>
    recordLogEntries(
      trx,
      ids.map((id) => ({
        tenantId,
        id,
        operation: 'create',
        resourceType: 'User',
        outcome: 'failure',
        httpStatus: 409,
        scimType: 'uniqueness',
      })),
    ),
  );
  return ids;
}

const pending = async () =>
  Number(
    (
      await sql<{ n: string }>`select count(*) as n from outbox where kind = 'failure' and relayed_at is null`.execute(
        t.db,
      )
    ).rows[0]?.n,
  );

describe('FailureRelay', () => {
  it('hands failures to the notifier a batch per job, and sends a batch again after a crash before marking it', async () => {
    const ids = await fail(7);
    const notifications = new JobQueue(QueueName.notifications, { connection: redis, prefix });
    const jobs = new Queue<JobMap['failures.recorded']>(QueueName.notifications, { connection: redis, prefix });
    // A relay that died after BullMQ took a job for the first three but before it marked them.
    const records = (
      await sql<{ payload: JobMap['failures.recorded']['failures'][number] }>`
        select payload from outbox where id = any(${ids.slice(0, 3)}::uuid[])`.execute(t.db)
    ).rows.map((row) => row.payload);
    await notifications.add('failures.recorded', { failures: records });
    const relay = new FailureRelay({ db: t.db, notifications, pollMs: 50, outages: workerOutages(logger) });
    relay.start();
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await relay.stop();

    expect(await pending()).toBe(0);
    const waiting = await jobs.getJobs(['waiting']);
    const sent = waiting.flatMap((job) => job.data.failures.map((failure) => failure.id));
    // Every failure reached the queue; the three of the crashed round twice (the notifier files each once).
    expect(sent.toSorted()).toEqual([...ids, ...ids.slice(0, 3)].toSorted());
    // The relay sent the seven as one job: no job per failure.
    expect(waiting.map((job) => job.data.failures.length).toSorted((a, b) => a - b)).toEqual([3, 7]);
    await Promise.all([notifications.close(), jobs.close()]);
  });
});
