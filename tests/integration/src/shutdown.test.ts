import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Client } from 'pg';
import { QueueName, type JobMap } from '@scimflow/jobs';
import { ProcessStack } from '../../support/process-stack';
import { startScript, waitFor, waitForHttp } from '../../support/processes';
import { testEnvironment } from '../../support/test-database';

/** Commands waiting in the queue: proof the ingress accepted and enqueued them. */
async function waitingCommands(prefix: string): Promise<number> {
  const connection = new Redis(testEnvironment().redisUrl);
  const queue = new Queue<JobMap['commands.apply']>(QueueName.commands, { connection, prefix: `{${prefix}}` });
  try {
    const jobs = await queue.getJobs(['waiting']);
    return jobs.reduce((sum, job) => sum + job.data.commands.length, 0);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

let stack: ProcessStack;

beforeEach(async () => {
  stack = await ProcessStack.create({ env: { REPLY_TIMEOUT_MS: '20000' } });
});
afterEach(() => stack.stop());

describe('graceful shutdown on SIGTERM', () => {
  it('the ingress stops accepting, answers every request it accepted, then exits 0', async () => {
    // Enough batch slots that every accepted command reaches Redis, where this test can see it.
    const ingress = await stack.startIngress({ INGRESS_BATCHES_IN_FLIGHT: '64' });
    const tenant = await stack.createTenant('draining');
    // No worker yet: accepted requests stay in flight, waiting for their replies.
    const inFlight = Array.from({ length: 20 }, (_, n) =>
      tenant.scim.post('/Users', { userName: `drain-${n}@example.com` }),
    );
    await waitFor(
      async () => (await waitingCommands(stack.env.QUEUE_PREFIX as string)) === 20,
      10_000,
      'all 20 requests to be enqueued',
    );

    ingress.child.kill('SIGTERM');
    await waitFor(
      async () => {
        try {
          await fetch(`${stack.url}/healthz`);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
      'the listener to close',
    );

    stack.startWorker();
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 201));
    expect(await ingress.exited).toBe(0);
    expect(ingress.output()).toContain('stopped');
    const stored = await stack.database.db.selectFrom('users').select('user_name').execute();
    expect(stored).toHaveLength(20);
  });

  it('the worker finishes the job it is running before it exits', async () => {
    await stack.startIngress();
    const worker = stack.startWorker();
    await waitForHttp(`${stack.url}/readyz`);
    // A cold worker can take seconds to start (a fresh clone's first run): wait for it, not for a timeout.
    await waitFor(() => worker.output().includes('worker started'), 30_000, 'the worker to start');
    const tenant = await stack.createTenant('worker-drain');
    const created = await tenant.scim.post('/Users', { userName: 'locked@example.com' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // Hold the user's row lock so the worker's job blocks mid-transaction.
    const blocker = new Client({ connectionString: stack.database.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select 1 from users where id = $1 for update', [id]);
    const patched = tenant.scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'displayName', value: 'Finished' }]);
    // Polled from outside the blocker's transaction: inside it, pg_stat_activity is a snapshot
    // taken at the first read and never shows the worker arriving later.
    await waitFor(
      async () => {
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`.execute(
          stack.database.db,
        );
        return (rows[0]?.n ?? 0) > 0;
      },
      20_000,
      'the worker to wait on the row lock',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker output:\n${worker.output()}`);
    });

    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(worker.child.exitCode).toBeNull();
    await blocker.query('commit');
    await blocker.end();

    const response = await patched;
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('Finished');
    expect(await worker.exited).toBe(0);
  }, 90_000);
});

describe('admin CLI', () => {
  it('creates a tenant, rotates its token and shows it, printing JSON', async () => {
    await stack.startIngress();
    stack.startWorker();
    const run = async (...args: string[]) => {
      const cli = startScript('admin', { DATABASE_URL: stack.database.url, PUBLIC_URL: stack.url }, { args });
      const code = await cli.exited;
      return { code, output: cli.output() };
    };
    const created = await run('tenants', 'create', 'CLI', 'Tenant');
    expect(created.code).toBe(0);
    const tenant = JSON.parse(created.output) as { id: string; name: string; scimBaseUrl: string; token: string };
    expect(tenant).toMatchObject({ name: 'CLI Tenant', scimBaseUrl: `${stack.url}/scim/v2/${tenant.id}` });
    const scim = (token: string) =>
      fetch(`${tenant.scimBaseUrl}/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await scim(tenant.token)).status).toBe(200);

    const rotated = await run('tenants', 'rotate-token', tenant.id);
    expect(rotated.code).toBe(0);
    const { token } = JSON.parse(rotated.output) as { token: string };
    await waitFor(async () => (await scim(tenant.token)).status === 401, 2_000, 'the old token to stop working');
    expect((await scim(token)).status).toBe(200);

    const shown = await run('tenants', 'get', tenant.id);
    expect(JSON.parse(shown.output)).toMatchObject({ id: tenant.id, name: 'CLI Tenant' });
    expect(shown.output).not.toContain('scimflow_');

    const updated = await run(
      'tenants',
      'update',
      tenant.id,
      '{"requiredAttributes": {"User": ["userName", "externalId"]}}',
    );
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.output)).toMatchObject({
      settings: { requiredAttributes: { User: ['userName', 'externalId'] } },
    });
    const refusedUpdate = await run('tenants', 'update', tenant.id, '{"requiredAttributes": {"User": ["shoeSize"]}}');
    expect(refusedUpdate.code).toBe(1);
    expect(refusedUpdate.output).toContain('shoeSize');

    const wrong = await run('tenants', 'explode');
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('usage:');
    const missing = await run('tenants', 'get', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).toBe(1);
  });
});
