import { randomBytes, randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { createJobWorker, JobQueue, QueueName, type Command, type CommandBatchResult } from '@scimflow/jobs';
import { Stack, type Tenant } from '../../support/stack';
import { testRedis } from '../../support/test-database';
import { waitFor } from '../../support/processes';
import { applyCommandBatch } from '../../../services/worker/src/commands/apply-command-batch';

// Issue 9, part A: a command's outcome depends only on that command.

const long = (length: number) => 'a'.repeat(length - '@example.com'.length) + '@example.com';

describe('a command that fails fails alone', () => {
  let stack: Stack;
  let mine: Tenant;
  let theirs: Tenant;
  beforeAll(async () => {
    stack = await Stack.start();
    [mine, theirs] = [await stack.createTenant('mine'), await stack.createTenant('theirs')];
  });
  afterAll(() => stack.stop());

  it.each([
    ['userName', '/Users', { userName: long(513) }],
    ['externalId', '/Users', { userName: 'x@example.com', externalId: 'e'.repeat(513) }],
    ['emails[0].value', '/Users', { userName: 'y@example.com', emails: [{ type: 'work', value: long(513) }] }],
    ['displayName', '/Groups', { displayName: 'g'.repeat(513) }],
    ['title', '/Users', { userName: 'z@example.com', title: 't'.repeat(4097) }],
  ])('refuses an over-long %s with 400 before it is queued', async (attribute, path, body) => {
    const response = await mine.scim.post(path, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ scimType: 'invalidValue' });
    expect(String(response.body.detail)).toContain(`'${attribute}'`);
    expect(String(response.body.detail)).toMatch(/at most (512|4096) characters/);
  });

  it('accepts values right at the limits', async () => {
    const response = await mine.scim.post('/Users', {
      userName: long(512),
      externalId: 'e'.repeat(512),
      emails: [{ type: 'work', value: long(512) }],
      title: 't'.repeat(4096),
    });
    expect(response.status).toBe(201);
  });

  it('answers each command of a job that mixes two tenants with Postgres errors by what the database holds', async () => {
    const connection = testRedis();
    const queue = new JobQueue(QueueName.commands, { connection, prefix: `{${stack.queuePrefix}}` });
    const create = (tenant: Tenant, userName: string): Command => ({
      id: uuidv7(),
      name: 'user.create',
      tenantId: tenant.id,
      data: { userId: uuidv7(), data: { userName } },
    });
    // Values no ingress lets through, sent straight to the queue: Postgres itself refuses them.
    const unindexable = () => `${randomBytes(1500).toString('hex')}@example.com`;
    const commands = [
      create(mine, 'ok-1@example.com'),
      create(theirs, 'ok-2@example.com'),
      create(mine, unindexable()),
      create(theirs, unindexable()),
      create(mine, 'ok-3@example.com'),
      create(theirs, 'ok-4@example.com'),
    ];
    try {
      const job = await queue.add('commands.apply', {
        replyTo: `nobody-${randomUUID()}`,
        deadline: Date.now() + 20_000,
        commands,
      });
      let result: CommandBatchResult | undefined;
      await waitFor(
        async () => {
          const current = await queue.getJob(job.id ?? '');
          result = current?.finishedOn ? (current.returnvalue as CommandBatchResult) : undefined;
          return result !== undefined;
        },
        15_000,
        'the mixed job to finish',
      );
      expect(result?.map((outcome) => (outcome.ok ? outcome.status : outcome.error.status))).toEqual([
        201, 201, 400, 400, 201, 201,
      ]);
      for (const [index, command] of commands.entries()) {
        if (command.name !== 'user.create') continue;
        const tenant = command.tenantId === mine.id ? mine : theirs;
        const stored = await tenant.scim.get(`/Users/${command.data.userId}`);
        expect([index, stored.status]).toEqual([index, result?.[index]?.ok ? 200 : 404]);
      }
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('a write that committed is never answered as failed', () => {
  let stack: Stack;
  let tenant: Tenant;
  beforeAll(async () => {
    stack = await Stack.start({ worker: false });
    tenant = await stack.createTenant();
  });
  afterAll(() => stack.stop());

  it('answers 201 when the job committed but then failed for good and the reply said 503', async () => {
    const connection = testRedis();
    const publisher = testRedis();
    // A worker whose job commits, then dies for good: the reply the ingress gets says 503.
    const worker = createJobWorker(
      QueueName.commands,
      {
        'commands.apply': async ({ commands, deadline, replyTo }, job) => {
          await applyCommandBatch(stack.database.db, commands, deadline);
          const outcomes = commands.map(() => ({ ok: false, error: { status: 503, detail: 'gave up' } }));
          await publisher.publish(replyTo, JSON.stringify({ jobId: job.id, outcomes }));
          throw new UnrecoverableError('after the commit');
        },
      },
      { connection, prefix: `{${stack.queuePrefix}}` },
    );
    try {
      const created = await tenant.scim.post('/Users', { userName: 'committed-then-failed@example.com' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ userName: 'committed-then-failed@example.com' });
      const lookup = await tenant.scim.get(`/Users/${String(created.body.id)}`);
      expect(lookup.status).toBe(200);
    } finally {
      await worker.close();
      connection.disconnect();
      publisher.disconnect();
    }
  });

  it('still answers 503 when nothing committed', async () => {
    const connection = testRedis();
    const publisher = testRedis();
    const worker = createJobWorker(
      QueueName.commands,
      {
        'commands.apply': async ({ replyTo }, job) => {
          const outcomes = [{ ok: false, error: { status: 503, detail: 'not applied' } }];
          await publisher.publish(replyTo, JSON.stringify({ jobId: job.id, outcomes }));
          return [];
        },
      },
      { connection, prefix: `{${stack.queuePrefix}}` },
    );
    try {
      const refused = await tenant.scim.post('/Users', { userName: 'never-committed@example.com' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
    } finally {
      await worker.close();
      connection.disconnect();
      publisher.disconnect();
    }
  });
});
