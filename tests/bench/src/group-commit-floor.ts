// The fixed shape with group commit (issue 9): the least an ingress → BullMQ → worker → Postgres path
// can do per write when writes share jobs and commits, as scimflow's do, and each write's event is
// posted to a webhook, as the bench's POST tenant has one. The ingress batches with scimflow's own
// CommandBatcher (its default slots and patience); the worker inserts a job's users in one statement,
// publishes the rows back over Redis pub/sub, then posts one signed event per user, in order, to
// FLOOR_WEBHOOK. No auth, validation, budgets, idempotency, log or outbox. shape-floor.ts is the same
// hop with one job per request and nothing else.
// FLOOR_ROLE=ingress (an HTTP server on PORT) or FLOOR_ROLE=worker.
import express from 'express';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CommandBatcher, createdEvent, postWebhook, publishedEvent, type ItemResult } from '@scimflow/jobs';
import { isJsonObject, type ScimDocument } from '@scimflow/scim';

interface FloorUser {
  readonly id: string;
  readonly userName: string;
  readonly user: ScimDocument;
}

interface FloorBatch {
  readonly batchId: string;
  readonly users: readonly FloorUser[];
  readonly replyTo: string;
}

const floorReply = z.object({ batchId: z.string(), resources: z.array(z.unknown()) });

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.QUEUE_PREFIX ?? 'bench-group-floor';
const QUEUE = 'floor';

async function startIngress(): Promise<void> {
  const queue = new Queue<FloorBatch>(QUEUE, {
    connection: new Redis(redisUrl, { enableOfflineQueue: false }),
    prefix,
  });
  const subscriber = new Redis(redisUrl);
  const replyTo = `${prefix}:replies:${randomUUID()}`;
  const waiting = new Map<string, (resources: unknown[]) => void>();
  subscriber.on('message', (_channel: string, message: string) => {
    const reply = floorReply.parse(JSON.parse(message));
    waiting.get(reply.batchId)?.(reply.resources);
    waiting.delete(reply.batchId);
  });
  await subscriber.subscribe(replyTo);
  // scimflow's defaults: INGRESS_BATCH_SIZE, _BATCHES_IN_FLIGHT, _EAGER_BATCHES, _BATCH_PATIENCE_MS.
  const batcher = new CommandBatcher<FloorUser, unknown>(
    async (users): Promise<ItemResult<unknown>[]> => {
      const batchId = randomUUID();
      const replied = new Promise<unknown[]>((resolve) => waiting.set(batchId, resolve));
      await queue.add('insert', { batchId, users, replyTo }, { removeOnComplete: true, removeOnFail: true });
      const resources = await replied;
      return users.map((_, index) => ({ value: resources[index] }));
    },
    { maxBatchSize: 100, maxParallel: 8, eagerParallel: 2, patienceMs: 5 },
  );

  const app = express();
  app.use(express.json({ type: ['application/json', 'application/scim+json'] }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/Users', async (req, res) => {
    const body: unknown = req.body;
    const user = isJsonObject(body) ? body : {};
    const userName = typeof user.userName === 'string' ? user.userName : '';
    res.status(201).json(await batcher.submit({ id: randomUUID(), userName, user }));
  });
  const server = app.listen(Number(process.env.PORT ?? 0));
  process.on('SIGTERM', () => server.close(() => void queue.close().then(() => subscriber.quit())));
}

/** One signed post per event, in order, over a kept-alive connection: as scimflow's worker delivers. */
class EventPoster {
  private readonly pending: string[] = [];
  private running = false;

  constructor(private readonly url: string | undefined) {}

  add(bodies: readonly string[]): void {
    if (!this.url) return;
    this.pending.push(...bodies);
    if (!this.running) void this.drain(this.url);
  }

  private async drain(url: string): Promise<void> {
    this.running = true;
    for (let body = this.pending.shift(); body !== undefined; body = this.pending.shift()) {
      await postWebhook({
        url,
        target: { address: '127.0.0.1', family: 4 },
        secret: 'group-commit-floor',
        body,
        eventId: randomUUID(),
        tenantId: 'floor',
        timeoutMs: 10_000,
      });
    }
    this.running = false;
  }
}

function startWorker(): void {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
  const publisher = new Redis(redisUrl);
  const poster = new EventPoster(process.env.FLOOR_WEBHOOK);
  let sequence = 0;
  const worker = new Worker<FloorBatch>(
    QUEUE,
    async (job) => {
      const { batchId, users, replyTo } = job.data;
      const { rows } = await pool.query<{ id: string; data: object }>(
        // The documents as one jsonb array, as scimflow sends them (jsonArray): a jsonb[] parameter is escaped twice.
        `insert into bench_floor_users (id, user_name, data)
         select * from rows from (unnest($1::uuid[]), unnest($2::text[]), jsonb_array_elements($3::jsonb))
         returning *`,
        [users.map((u) => u.id), users.map((u) => u.userName), JSON.stringify(users.map((u) => u.user))],
      );
      const byId = new Map(rows.map((row) => [row.id, { ...row.data, id: row.id }]));
      await publisher.publish(replyTo, JSON.stringify({ batchId, resources: users.map((u) => byId.get(u.id)) }));
      const now = Date.now();
      poster.add(
        users.map((u) => {
          const source = { issuer: 'floor', tenantId: 'floor', txn: u.id, newId: randomUUID, now };
          const event = createdEvent(source, { type: 'User', id: u.id, data: u.user });
          return JSON.stringify(publishedEvent({ payload: event, sequence: ++sequence }));
        }),
      );
    },
    { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: 8 },
  );
  process.on('SIGTERM', () => void worker.close().then(() => Promise.all([pool.end(), publisher.quit()])));
}

if (process.env.FLOOR_ROLE === 'worker') startWorker();
else void startIngress();
