import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { EventUri } from '@scimflow/scim';
import { ADMIN_TOKEN } from '../../support/stack';
import { ProcessStack } from '../../support/process-stack';
import { waitFor, type ServiceProcess } from '../../support/processes';
import { WebhookReceiver } from '../../support/webhook-receiver';

let stack: ProcessStack;
beforeAll(async () => {
  // Short webhook timeouts: a SIGKILLed worker's delivery lease (3 × the timeout) expires quickly.
  stack = await ProcessStack.create({
    env: { REPLY_TIMEOUT_MS: '3000', OUTBOX_POLL_MS: '200', WEBHOOK_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' },
  });
  await stack.startIngress();
  const worker = stack.startWorker();
  await waitFor(() => worker.output().includes('worker started'), 30_000, 'the worker to start');
}, 60_000);
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface EventRow {
  readonly id: string;
  readonly sequence: string;
  readonly payload: {
    sub_id: { uri: string };
    events: Record<string, { data?: { Operations: { op: string; value: { value: string }[] }[] } }>;
  };
}

describe('a worker killed with SIGKILL during a burst of writes', () => {
  it('loses no acknowledged write, emits exactly one event per change, and delivers every one in order', async () => {
    const tenant = await stack.createTenant('crash');
    const receiver = await WebhookReceiver.start();
    const hook = await fetch(`${stack.url}/admin/tenants/${tenant.id}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    expect(hook.status).toBe(201);
    const group = (await tenant.scim.post('/Groups', { displayName: 'Everyone' })).body.id as string;
    const createdUsers: string[] = [];
    const addedMembers: string[] = [];
    let refused = 0;
    let running = true;

    const client = async (lane: number) => {
      // `running` is cleared by the test body once the burst is over.
      // oxlint-disable-next-line eslint/no-unmodified-loop-condition
      for (let n = 0; running; n++) {
        const created = await tenant.scim
          .post('/Users', { userName: `u${lane}-${n}@example.com` })
          .catch(() => undefined);
        if (created?.status !== 201) {
          refused++;
          continue;
        }
        const id = created.body.id as string;
        createdUsers.push(id);
        if (n % 3 !== 0) continue;
        const added = await tenant.scim
          .patch(`/Groups/${group}`, [{ op: 'add', path: 'members', value: [{ value: id }] }])
          .catch(() => undefined);
        if (added?.status === 204) addedMembers.push(id);
        else refused++;
      }
    };
    const burst = Promise.all(Array.from({ length: 12 }, (_, lane) => client(lane)));

    const kills: number[] = [];
    for (const at of [800, 1600, 2400]) {
      await sleep(at - (kills.at(-1) ?? 0) - (kills.length > 0 ? 250 : 0));
      const worker = stack.processes.worker as ServiceProcess;
      worker.child.kill('SIGKILL');
      await worker.exited;
      kills.push(at);
      await sleep(250);
      stack.startWorker();
    }
    // Keep writing after the last restart, so the restarted worker is busy too.
    const target = createdUsers.length + 100;
    await waitFor(() => createdUsers.length >= target, 30_000, 'writes after the last restart');
    running = false;
    await burst;

    const { db } = stack.database;

    // Every acknowledged write is in Postgres.
    const users = new Set(
      (await sql<{ id: string }>`select id from users where tenant_id = ${tenant.id}`.execute(db)).rows.map(
        (row) => row.id,
      ),
    );
    expect(createdUsers.filter((id) => !users.has(id))).toEqual([]);
    const members = new Set(
      (
        await sql<{ user_id: string }>`select user_id from group_members where group_id = ${group}`.execute(db)
      ).rows.map((row) => row.user_id),
    );
    expect(addedMembers.filter((id) => !members.has(id))).toEqual([]);

    // Exactly one event per committed change, none for anything that didn't commit.
    const { rows: events } =
      await sql<EventRow>`select id, sequence, payload from outbox where tenant_id = ${tenant.id} and kind = 'event' order by sequence`.execute(
        db,
      );
    const creates = new Map<string, number>();
    const adds = new Map<string, number>();
    for (const event of events) {
      const [uri, body] = Object.entries(event.payload.events)[0] ?? [];
      if (uri === EventUri.created && event.payload.sub_id.uri.startsWith('/Users/')) {
        const id = event.payload.sub_id.uri.slice('/Users/'.length);
        creates.set(id, (creates.get(id) ?? 0) + 1);
      }
      if (uri === EventUri.patched) {
        for (const operation of body?.data?.Operations ?? []) {
          if (operation.op === 'add')
            for (const member of operation.value) adds.set(member.value, (adds.get(member.value) ?? 0) + 1);
        }
      }
    }
    expect([...users].filter((id) => creates.get(id) !== 1)).toEqual([]);
    expect(creates.size).toBe(users.size);
    expect([...members].filter((id) => adds.get(id) !== 1)).toEqual([]);
    expect(adds.size).toBe(members.size);
    // Sequences: 1..n, no gaps, no repeats.
    expect(events.map((event) => Number(event.sequence))).toEqual(events.map((_, index) => index + 1));

    // The endpoint gets every event (at least once: a SIGKILL mid-delivery sends one again), and
    // never one before an earlier one it hadn't had yet.
    const ids = events.map((event) => event.id);
    const received = () =>
      new Set(receiver.deliveries.map((delivery) => String(delivery.headers['x-scimflow-event-id'])));
    await waitFor(() => ids.every((id) => received().has(id)), 30_000, 'every event at the webhook');
    const sequences = receiver.deliveries.map((delivery) => Number(delivery.headers['x-scimflow-sequence']));
    let highest = 0;
    for (const sequence of sequences) {
      expect(sequence).toBeLessThanOrEqual(highest + 1);
      highest = Math.max(highest, sequence);
    }
    expect([...received()].filter((id) => !ids.includes(id))).toEqual([]);
    await receiver.stop();

    // Redis holds nothing per event: no key of this stack's prefix names an event.
    const redis = new Redis(stack.env.REDIS_URL as string);
    try {
      const keys = await redis.keys(`{${stack.env.QUEUE_PREFIX}}*`);
      expect(keys.filter((key) => ids.some((id) => key.includes(id)))).toEqual([]);
      expect(keys.filter((key) => key.includes(':events:'))).toEqual([]);
    } finally {
      redis.disconnect();
    }
    console.log(
      `crash test: ${createdUsers.length} users and ${addedMembers.length} member adds acknowledged, ${refused} refused (503 while no worker), ${events.length} events, ${receiver.deliveries.length} deliveries, 3 SIGKILLs`,
    );
  }, 120_000);
});
