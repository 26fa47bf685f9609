import { randomUUID } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { QueueName, type CommandBatchResult, type JobMap } from '@scimflow/jobs';
import { useStack } from '../../support/stack';
import { testEnvironment } from '../../support/test-database';

const ctx = useStack();

beforeAll(async () => {
  // A second worker: commands can now also race in separate transactions, not just within a batch.
  await ctx.stack.startWorker();
});

describe('concurrent writes', () => {
  it('loses none of 8 concurrent PATCHes to different attributes of one user', async () => {
    const id = (await ctx.tenant.scim.post('/Users', { userName: 'contended@example.com' })).body.id as string;
    const changes: [string, string][] = [
      ['displayName', 'Contended'],
      ['nickName', 'C'],
      ['title', 'Lead'],
      ['locale', 'fr-FR'],
      ['timezone', 'Europe/Paris'],
      ['name.givenName', 'Conte'],
      ['emails[type eq "work"].value', 'contended@example.com'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter', 'CC-7'],
    ];
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(
        changes.map(([path, value]) =>
          ctx.tenant.scim.patch(`/Users/${id}`, [{ op: 'replace', path, value: `${value}-${round}` }]),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(changes.map(() => 200));
    }
    const user = await ctx.tenant.scim.get(`/Users/${id}`);
    expect(user.body).toMatchObject({
      displayName: 'Contended-2',
      nickName: 'C-2',
      title: 'Lead-2',
      locale: 'fr-FR-2',
      timezone: 'Europe/Paris-2',
      name: { givenName: 'Conte-2' },
      emails: [{ type: 'work', value: 'contended@example.com-2' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { costCenter: 'CC-7-2' },
      meta: { version: `W/"${1 + 3 * changes.length}"` },
    });
  });

  it('loses none of 20 concurrent PATCHes each adding a different member to one group', async () => {
    const group = (await ctx.tenant.scim.post('/Groups', { displayName: 'Contended group' })).body.id as string;
    const members = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, n) =>
          (await ctx.tenant.scim.post('/Users', { userName: `joiner-${n}@example.com` })).body.id as string,
      ),
    );
    const responses = await Promise.all(
      members.map((value) =>
        ctx.tenant.scim.patch(`/Groups/${group}`, [{ op: 'Add', path: 'members', value: [{ value }] }]),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(members.map(() => 204));
    const stored = await ctx.tenant.scim.get(`/Groups/${group}`);
    expect((stored.body.members as { value: string }[]).map((m) => m.value).toSorted()).toEqual(
      [...members].toSorted(),
    );
    expect(stored.headers.get('etag')).toBe('W/"21"');
  });

  it('creates exactly one user when the same userName is posted many times at once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => ctx.tenant.scim.post('/Users', { userName: 'Racy@example.com' })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409 && r.body.scimType === 'uniqueness')).toHaveLength(11);
  });

  it('applies a command once even when its job is delivered twice', async () => {
    const id = (await ctx.tenant.scim.post('/Users', { userName: 'delivered-twice@example.com' })).body.id as string;
    const connection = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(QueueName.commands, { connection, prefix: `{${ctx.stack.queuePrefix}}` });
    try {
      const data: JobMap['commands.apply'] = {
        replyTo: `nobody-${randomUUID()}`,
        deadline: Date.now() + 30_000,
        commands: [
          {
            id: uuidv7(),
            name: 'user.patch',
            tenantId: ctx.tenant.id,
            data: { userId: id, operations: [{ op: 'add', path: 'emails', value: [{ value: 'twice@example.com' }] }] },
          },
        ],
      };
      const jobs = [await queue.add('commands.apply', data), await queue.add('commands.apply', data)];
      const results: CommandBatchResult[] = [];
      for (const job of jobs) {
        for (let waited = 0; ; waited += 50) {
          const current = await Job.fromId<JobMap['commands.apply'], CommandBatchResult>(queue, job.id ?? '');
          if (current?.finishedOn) {
            results.push(current.returnvalue);
            break;
          }
          if (waited > 10_000) throw new Error('job did not finish');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(results[0]).toEqual(results[1]);
      const user = await ctx.tenant.scim.get(`/Users/${id}`);
      expect(user.body).toMatchObject({ emails: [{ value: 'twice@example.com' }], meta: { version: 'W/"2"' } });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
