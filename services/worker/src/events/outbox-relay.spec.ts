import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { insertOutbox, insertTenant, sequencePending } from '@scimflow/db';
import { JobQueue, QueueName, type PublishedEvent } from '@scimflow/jobs';
import { createLogger } from '@scimflow/telemetry';
import { addedJobIds } from '../../../../tests/support/bullmq-events';
import { createTestDatabase, testEnvironment, type TestDatabase } from '../../../../tests/support/test-database';
import { OutboxRelay } from './outbox-relay';

let t: TestDatabase;
let redis: Redis;
const prefix = `{r-${randomBytes(4).toString('hex')}}`;
const tenants = [randomUUID(), randomUUID()];
const logger = createLogger({ level: 'silent', service: 'test' });

beforeAll(async () => {
  t = await createTestDatabase();
  redis = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
  for (const id of tenants) await insertTenant(t.db, { id, name: id, tokenHash: Buffer.alloc(32) });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await t.drop();
});

function queues() {
  return {
    events: new JobQueue(QueueName.events, { connection: redis, prefix }),
    notifications: new JobQueue(QueueName.notifications, { connection: redis, prefix }),
  };
}

/** The events queue as a test reads it back. */
const eventJobs = () => new Queue<PublishedEvent>(QueueName.events, { connection: redis, prefix });

async function write(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  await t.db.transaction().execute((trx) =>
    insertOutbox(
      trx,
      ids.map((id, index) => ({
        id,
        tenantId: tenants[index % 2] as string,
        kind: 'event',
        payload: {
          jti: id,
          iss: 'https://scim.example.com',
          iat: 0,
          txn: id,
          tenant: tenants[index % 2] as string,
          sub_id: { format: 'scim', uri: `/Users/${id}` },
          events: {},
        },
      })),
    ),
  );
  return ids;
}

const streamCounts = () => addedJobIds(redis, prefix, QueueName.events);

async function settle(relay: OutboxRelay): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from outbox where relayed_at is null`.execute(t.db);
    if (Number(rows[0]?.n) === 0) break;
    relay.kick();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('OutboxRelay', () => {
  it('re-publishes after a crash between publishing and marking, and BullMQ keeps one job per event id', async () => {
    const ids = await write(6);
    const { events, notifications } = queues();
    // A relay that died after BullMQ accepted the jobs but before it marked the rows relayed.
    const sequenced = (await sequencePending(t.db, 100)) ?? [];
    await events.addBulk(
      sequenced.flatMap((row) =>
        row.kind === 'event'
          ? [{ name: 'event.published', data: { ...row.payload, sequence: row.sequence }, opts: { jobId: row.id } }]
          : [],
      ),
    );

    const relay = new OutboxRelay({ db: t.db, databaseUrl: t.url, events, notifications, pollMs: 50, logger });
    await relay.start();
    await settle(relay);
    await relay.stop();

    const { added, duplicated } = await streamCounts();
    expect(ids.map((id) => added.get(id))).toEqual(ids.map(() => 1));
    expect(duplicated).toBe(6);
    const published = eventJobs();
    expect(await published.count()).toBe(6);
    // The sequences assigned before the crash are the ones published: they never change.
    const jobs = await published.getJobs(['waiting']);
    expect(new Map(jobs.map((job) => [job.id, job.data.sequence]))).toEqual(
      new Map(sequenced.map((row) => [row.id, row.kind === 'event' ? row.sequence : undefined])),
    );
    await Promise.all([events.close(), notifications.close(), published.close()]);
  });

  it('numbers each tenant 1, 2, 3... in outbox order with two relays racing', async () => {
    await redis.del(...(await redis.keys(`${prefix}*`)));
    await sql`delete from outbox`.execute(t.db);
    await sql`delete from tenant_event_counters`.execute(t.db);
    const ids = await write(400);
    const relays = [queues(), queues()].map(
      ({ events, notifications }) =>
        new OutboxRelay({ db: t.db, databaseUrl: t.url, events, notifications, pollMs: 20, logger }),
    );
    await Promise.all(relays.map((relay) => relay.start()));
    await settle(relays[0] as OutboxRelay);
    await Promise.all(relays.map((relay) => relay.stop()));

    for (const tenantId of tenants) {
      const { rows } = await sql<{
        sequence: string;
      }>`select sequence from outbox where tenant_id = ${tenantId} order by position`.execute(t.db);
      expect(rows.map((row) => Number(row.sequence))).toEqual(rows.map((_, index) => index + 1));
    }
    const { added } = await streamCounts();
    expect(ids.filter((id) => added.get(id) !== 1)).toEqual([]);
  });
});
