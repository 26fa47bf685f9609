// The fixed shape's floor (issue 9): the least an ingress → BullMQ → worker → Postgres path can do
// per write, as the design card fixes it (the ingress enqueues, the worker commits, the ingress
// answers with what committed). One job per request, a bare insert, the reply over Redis pub/sub; no
// auth, validation, budgets, batching, idempotency, log or events. scimflow over this is the cost of
// its own code; this over the bare baseline is what the shape itself costs.
// FLOOR_ROLE=ingress (an HTTP server on PORT) or FLOOR_ROLE=worker.
import express from 'express';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

interface FloorJob {
  readonly id: string;
  readonly userName: string;
  readonly user: unknown;
  readonly replyTo: string;
}

const floorReply = z.object({ id: z.string(), resource: z.unknown() });
type FloorReply = z.infer<typeof floorReply>;
const withUserName = z.object({ userName: z.string() });

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.QUEUE_PREFIX ?? 'bench-floor';
const QUEUE = 'floor';

async function startIngress(): Promise<void> {
  // As BullMQ's docs advise for producers: fail fast instead of queueing while Redis is away.
  const queue = new Queue<FloorJob>(QUEUE, { connection: new Redis(redisUrl, { enableOfflineQueue: false }), prefix });
  const subscriber = new Redis(redisUrl);
  const replyTo = `${prefix}:replies:${randomUUID()}`;
  const waiting = new Map<string, (resource: unknown) => void>();
  subscriber.on('message', (_channel: string, message: string) => {
    const reply = floorReply.parse(JSON.parse(message));
    waiting.get(reply.id)?.(reply.resource);
    waiting.delete(reply.id);
  });
  await subscriber.subscribe(replyTo);

  const app = express();
  app.use(express.json({ type: ['application/json', 'application/scim+json'] }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/Users', async (req, res) => {
    const id = randomUUID();
    const committed = new Promise((resolve) => waiting.set(id, resolve));
    const user: unknown = req.body;
    const userName = withUserName.safeParse(user).data?.userName ?? '';
    await queue.add('insert', { id, userName, user, replyTo }, { removeOnComplete: true, removeOnFail: true });
    res.status(201).json(await committed);
  });
  const server = app.listen(Number(process.env.PORT ?? 0));
  process.on('SIGTERM', () => server.close(() => void queue.close().then(() => subscriber.quit())));
}

function startWorker(): void {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
  const publisher = new Redis(redisUrl);
  const worker = new Worker<FloorJob>(
    QUEUE,
    async (job) => {
      const { id, userName, user, replyTo } = job.data;
      const { rows } = await pool.query<{ id: string; data: object }>(
        'insert into bench_floor_users (id, user_name, data) values ($1, $2, $3) returning *',
        [id, userName, user],
      );
      const row = rows[0];
      const reply: FloorReply = { id, resource: row ? { ...row.data, id: row.id } : undefined };
      await publisher.publish(replyTo, JSON.stringify(reply));
    },
    { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: 8 },
  );
  process.on('SIGTERM', () => void worker.close().then(() => Promise.all([pool.end(), publisher.quit()])));
}

if (process.env.FLOOR_ROLE === 'worker') startWorker();
else void startIngress();
