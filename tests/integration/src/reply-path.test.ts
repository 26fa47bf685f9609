import { createJobWorker, QueueName, type CommandBatchResult } from '@scimflow/jobs';
import { Stack, type Tenant } from '../../support/stack';
import { testRedis } from '../../support/test-database';
import { applyCommandBatch } from '../../../services/worker/src/commands/apply-command-batch';

describe('the reply path', () => {
  let stack: Stack;
  let tenant: Tenant;

  beforeEach(async () => {
    stack = await Stack.start({ worker: false, env: { REPLY_TIMEOUT_MS: '1500' } });
    tenant = await stack.createTenant();
  });
  afterEach(() => stack.stop());

  it('finds an outcome whose reply message was never published, from the stored job result', async () => {
    // A worker that commits and stores its result but never publishes: the ingress must still answer.
    const connection = testRedis();
    const silent = createJobWorker<'commands', CommandBatchResult>(
      QueueName.commands,
      {
        'commands.apply': async ({ commands, deadline }) => {
          const results = await applyCommandBatch(stack.database.db, commands, deadline);
          return results.map((result) =>
            'value' in result ? result.value : { ok: false as const, error: { status: 503, detail: 'not applied' } },
          );
        },
      },
      { connection, prefix: `{${stack.queuePrefix}}` },
    );
    try {
      const created = await tenant.scim.post('/Users', { userName: 'silent@example.com' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ userName: 'silent@example.com', meta: { version: 'W/"1"' } });
    } finally {
      await silent.close();
      connection.disconnect();
    }
  });

  it('answers 503 with Retry-After when no worker answers in time, and the command never applies later', async () => {
    const started = Date.now();
    const response = await tenant.scim.post('/Users', { userName: 'nobody-home@example.com' });
    const waited = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
    expect(waited).toBeLessThan(10_000);

    // A worker arriving afterwards must not create the user the client was told failed.
    await stack.startWorker();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const lookup = await tenant.scim.get(
      `/Users?filter=${encodeURIComponent('userName eq "nobody-home@example.com"')}`,
    );
    expect(lookup.body.totalResults).toBe(0);
    expect((await tenant.scim.post('/Users', { userName: 'nobody-home@example.com' })).status).toBe(201);
  });
});
