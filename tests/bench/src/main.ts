// `npm run bench`: drives scimflow (ingress + worker processes) and a bare Express + pg baseline
// in one run, and prints each one's figures and the ratios, ending with one `BENCH_JSON {...}` line.
import type autocannon from 'autocannon';
import { Client, Pool } from 'pg';
import { createDatabase, migrateToLatest } from '@scimflow/db';
import { createRedis } from '@scimflow/jobs';
import {
  rssBytes,
  sampleRss,
  SERVICE_NODE_FLAGS,
  startScript,
  stopProcess,
  waitForHttp,
} from '../../support/processes';
import { deletePrefixKeys } from '../../support/redis-keys';
import { benchLargeGroups, reportLargeGroups } from './large-groups';
import { cpuSince, pidsNamed } from './cpu';
import { compare, perRequest } from './compare';
import { batchTotals, closedLoop } from './load';
import { getRequest, postRequest, startReceiver } from './requests';
import { profileArgs, summarizeProfiles } from './profile';
import { report, reportScenarios } from './report';
import { cpuPerWrite } from './cpu-per-write';
import { fairness, multiTenant, type BenchTenant, type ScenarioContext } from './scenarios';
import { startFloors } from './floors';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
/** Runs alternate between the two servers, and medians are reported: this machine is noisy. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATES = (process.env.BENCH_RATES ?? '150,300,600,1000,1500').split(',').map(Number);
const GET_USERS = 10_000;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = Date.now().toString(36);
const adminToken = 'bench-admin-token-0123456789';
/** The POST/GET tenant is a sync in progress: its budget is raised, as an operator would. */
const UNLIMITED = {
  writesPerSecond: 100_000,
  writeBurst: 100_000,
  writesInFlight: 100_000,
  readsPerSecond: 100_000,
  readBurst: 100_000,
};

async function main(): Promise<void> {
  const database = `scimflow_bench_${runId}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${database}`;
  const db = createDatabase({ url: databaseUrl.href, poolSize: 2, applicationName: 'scimflow-bench' });
  await migrateToLatest(db);
  const raw = new Pool({ connectionString: databaseUrl.href, max: 2 });
  await raw.query('create table bench_users (id uuid primary key, user_name text not null, data jsonb not null)');
  await raw.query('create unique index bench_users_user_name on bench_users (lower(user_name))');
  await raw.query('create table bench_floor_users (like bench_users including all)');
  await raw.query(
    'create table bench_members (group_id uuid not null, user_id uuid not null, primary key (group_id, user_id))',
  );

  const port = 18080 + Math.floor(Math.random() * 1000);
  const env = {
    // Room for a 10,000-member PATCH body.
    MAX_BODY_BYTES: String(8 * 1024 * 1024),
    DATABASE_URL: databaseUrl.href,
    REDIS_URL: redisUrl,
    ADMIN_TOKEN: adminToken,
    PORT: String(port),
    QUEUE_PREFIX: `bench-${runId}`,
    LOG_LEVEL: 'warn',
    WORKER_HEALTH_PORT: '0',
    // The bench's webhook receiver listens on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // BENCH_SERVICE_ENV="INGRESS_BATCHES_IN_FLIGHT=4,WORKER_CONCURRENCY=4": try settings without editing this.
    ...Object.fromEntries(
      (process.env.BENCH_SERVICE_ENV ?? '')
        .split(',')
        .filter((pair) => pair.includes('='))
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    ),
  };
  const profileDir = process.env.BENCH_PROFILE;
  // BENCH_NODE_ARGS="--max-semi-space-size=16 ...": other V8 flags for the services than the defaults.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean);
  const ingress = startScript('ingress', env, {
    nodeArgs: [...(nodeArgs ?? SERVICE_NODE_FLAGS.ingress), ...profileArgs(profileDir, 'ingress')],
  });
  const worker = startScript('worker', env, {
    nodeArgs: [...(nodeArgs ?? SERVICE_NODE_FLAGS.worker), ...profileArgs(profileDir, 'worker')],
  });
  // The baseline runs as a bare Node would (no heap flags).
  const baseline = startScript(
    'bench-baseline',
    { DATABASE_URL: databaseUrl.href, PORT: String(port + 1), DB_POOL_SIZE: '20' },
    { nodeArgs: [] },
  );
  const receiver = await startReceiver();
  const { floor, groupFloor } = startFloors({
    databaseUrl: databaseUrl.href,
    redisUrl,
    queuePrefix: env.QUEUE_PREFIX,
    webhookUrl: receiver.url,
    port: port + 2,
  });
  const children = [ingress, worker, baseline, floor.ingress, floor.worker, groupFloor.ingress, groupFloor.worker];
  try {
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${port}/readyz`),
      waitForHttp(`http://127.0.0.1:${port + 1}/healthz`),
      waitForHttp(`${floor.url}/healthz`),
      waitForHttp(`${groupFloor.url}/healthz`),
    ]);
    const scimUrl = `http://127.0.0.1:${port}`;
    const baseUrl = `http://127.0.0.1:${port + 1}`;
    const adminCall = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${scimUrl}/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}`);
      return (await response.json()) as { id: string; token: string };
    };
    const createTenant = async (name: string, budget?: Record<string, number>): Promise<BenchTenant> => {
      const created = await adminCall('POST', '/tenants', { name });
      if (budget) await adminCall('PATCH', `/tenants/${created.id}`, { budget });
      return {
        id: created.id,
        path: `/scim/v2/${created.id}`,
        headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/scim+json' },
      };
    };
    /** Waits until every committed event is delivered and every failure relayed; returns how long that took. */
    const settle = async () => {
      const started = performance.now();
      for (;;) {
        const { rows } = await raw.query(`select
            (select count(*) from outbox where kind = 'failure' and relayed_at is null)
            + (select count(*) from webhooks w join tenant_event_counters c using (tenant_id)
               where w.delivered_sequence < c.last_sequence) as n`);
        if (Number((rows[0] as { n: string }).n) === 0) return performance.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const tenant = await createTenant('bench', UNLIMITED);
    await adminCall('POST', `/tenants/${tenant.id}/webhooks`, { url: receiver.url });
    const baseHeaders = { 'content-type': 'application/scim+json' };
    const scimPids = [ingress.child.pid, worker.child.pid];
    const postgres = () => pidsNamed('postgres');
    const redis = () => pidsNamed('redis-server');
    const scimSide = (requests: autocannon.Request[]) => async () => {
      const [ingressRss, workerRss] = [sampleRss([ingress.child.pid]), sampleRss([worker.child.pid])];
      const cpu = cpuSince({
        ingress: () => [ingress.child.pid],
        worker: () => [worker.child.pid],
        postgres,
        redis,
        loadGenerator: () => [process.pid],
      });
      const batchesBefore = await batchTotals(scimUrl);
      const figures = await closedLoop(scimUrl, tenant.headers, requests, scimPids, {
        connections: CONNECTIONS,
        durationS: DURATION_S,
      });
      const batchesAfter = await batchTotals(scimUrl);
      const jobs = batchesAfter.jobs - batchesBefore.jobs;
      return {
        ...figures,
        ...(jobs > 0
          ? { commandsPerJob: Number(((batchesAfter.commands - batchesBefore.commands) / jobs).toFixed(2)) }
          : {}),
        cpuMsPerRequest: perRequest(cpu(), figures.reqPerSec * DURATION_S),
        ingressRssMb: ingressRss() / 1024 / 1024,
        workerRssMb: workerRss() / 1024 / 1024,
      };
    };
    /** The baseline's or the shape floor's side: `processes` names their processes' CPU groups. */
    const bareSide =
      (url: string, processes: Record<string, number | undefined>, requests: autocannon.Request[]) => async () => {
        const own = Object.fromEntries(Object.entries(processes).map(([group, pid]) => [group, () => [pid]]));
        const cpu = cpuSince({ ...own, postgres, redis, loadGenerator: () => [process.pid] });
        const figures = await closedLoop(url, baseHeaders, requests, Object.values(processes), {
          connections: CONNECTIONS,
          durationS: DURATION_S,
        });
        return { ...figures, cpuMsPerRequest: perRequest(cpu(), figures.reqPerSec * DURATION_S) };
      };
    const baseSide = (requests: autocannon.Request[]) => bareSide(baseUrl, { server: baseline.child.pid }, requests);

    const ctx: ScenarioContext = {
      scimUrl,
      baseUrl,
      floorUrl: floor.url,
      pids: {
        ingress: ingress.child.pid,
        worker: worker.child.pid,
        baseline: baseline.child.pid,
        floorIngress: floor.ingress.child.pid,
        floorWorker: floor.worker.child.pid,
      },
      createTenant,
      settle,
      checkpoint: async () => {
        await raw.query('checkpoint').catch((error: unknown) => console.log(`  (no CHECKPOINT: ${String(error)})`));
      },
    };
    // BENCH_ONLY=cpu: just the CPU-per-write figure (e.g. with BENCH_PROFILE, to profile one write).
    if (process.env.BENCH_ONLY === 'multi') {
      const only = await multiTenant(ctx, RATES, Number(process.env.BENCH_MT_DURATION ?? 6));
      reportScenarios(undefined, only, undefined, undefined);
      return;
    }
    if (process.env.BENCH_ONLY === 'fair') {
      const only = await fairness(ctx, Number(process.env.BENCH_FAIR_DURATION ?? 20));
      reportScenarios(undefined, undefined, only, undefined);
      return;
    }
    if (process.env.BENCH_ONLY === 'cpu') {
      const only = await cpuPerWrite(ctx, 100, Number(process.env.BENCH_CPU_DURATION ?? 10), ROUNDS);
      console.log(`BENCH_JSON ${JSON.stringify({ cpu: only })}`);
      return;
    }
    console.log(`warming up (${CONNECTIONS} connections)...`);
    await closedLoop(baseUrl, baseHeaders, [postRequest('', 'warm-b')], [], { connections: CONNECTIONS, durationS: 3 });
    await closedLoop(scimUrl, tenant.headers, [postRequest(tenant.path, 'warm-s')], [], {
      connections: CONNECTIONS,
      durationS: 3,
    });

    console.log(`POST /Users: ${ROUNDS} rounds of ${DURATION_S}s per server (a webhook receives every event)...`);
    const skipPost = process.env.BENCH_ONLY === 'get';
    const post = await (skipPost
      ? Promise.resolve(undefined)
      : compare(ROUNDS, baseSide([postRequest('', 'base')]), scimSide([postRequest(tenant.path, 'scim')]), settle, {
          floor: bareSide(floor.url, { ingress: floor.ingress.child.pid, worker: floor.worker.child.pid }, [
            postRequest('', 'floor'),
          ]),
          groupFloor: async () => {
            const pids = { ingress: groupFloor.ingress.child.pid, worker: groupFloor.worker.child.pid };
            const figures = await bareSide(groupFloor.url, pids, [postRequest('', 'group-floor')])();
            // Its events still being posted would load the next side's run.
            await receiver.quiet();
            return figures;
          },
        }));
    if (process.env.BENCH_ONLY === 'post' && post) {
      report('POST /Users', post);
      console.log(`  peak RSS: ingress ${post.rss.ingressMb.toFixed(0)} MB, worker ${post.rss.workerMb.toFixed(0)} MB`);
      return;
    }

    // Top both stores up to at least GET_USERS users, then look random ones up.
    for (const [url, path, headers, table] of [
      [baseUrl, '', baseHeaders, 'bench_users'],
      [scimUrl, tenant.path, tenant.headers, 'users'],
    ] as const) {
      const { rows } = await raw.query(`select count(*)::int as n from ${table}`);
      const missing = GET_USERS - (rows[0] as { n: number }).n;
      if (missing > 0)
        await closedLoop(url, headers, [postRequest(path, `fill-${table}`)], [], {
          connections: CONNECTIONS,
          amount: missing,
        });
    }
    await raw.query('analyze bench_users');
    await raw.query('analyze users');
    const names = async (sql: string) => (await raw.query(sql)).rows.map((row: { user_name: string }) => row.user_name);
    const baseNames = await names(`select user_name from bench_users limit ${GET_USERS}`);
    const scimNames = await names(`select user_name from users where tenant_id = '${tenant.id}' limit ${GET_USERS}`);
    console.log(
      `GET /Users?filter=userName eq over ${GET_USERS}+ users: ${ROUNDS} rounds of ${DURATION_S}s per server...`,
    );
    const get = await compare(
      ROUNDS,
      baseSide([getRequest('', baseNames)]),
      scimSide([getRequest(tenant.path, scimNames)]),
      settle,
    );
    if (process.env.BENCH_ONLY === 'get' || !post) {
      report('GET  /Users?filter', get);
      return;
    }

    console.log('CPU per POST at 100/s...');
    const cpu = await cpuPerWrite(ctx, 100, Number(process.env.BENCH_CPU_DURATION ?? 10), ROUNDS);
    console.log(`40 tenants, open loop at ${RATES.join(', ')}/s...`);
    const multi = await multiTenant(ctx, RATES, Number(process.env.BENCH_MT_DURATION ?? 6));
    console.log('fairness: five small tenants alone, then beside a 20,000-user sync...');
    const fair = await fairness(ctx, Number(process.env.BENCH_FAIR_DURATION ?? 20));
    console.log('large groups: 10,000-member PATCH x3, reads of a 100,000-member group...');
    await settle();
    const large = await benchLargeGroups(
      { url: scimUrl, path: tenant.path, headers: tenant.headers, tenantId: tenant.id, ingressPid: ingress.child.pid },
      raw,
    );

    const idleRss = (rssBytes(ingress.child.pid) + rssBytes(worker.child.pid)) / 1024 / 1024;
    console.log(`\n${CONNECTIONS} connections, median of ${ROUNDS} runs of ${DURATION_S}s per figure (RSS: peak)`);
    report('POST /Users', post);
    console.log(
      `  webhook deliveries: ${receiver.received()}; delivery caught up ${post.lagMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' / ')} after each scimflow round`,
    );
    report('GET  /Users?filter', get);
    reportScenarios(cpu, multi, fair, post.rss);
    reportLargeGroups(large);
    console.log(`\nscimflow RSS after the run (ingress + worker): ${idleRss.toFixed(0)} MB`);
    const json = {
      connections: CONNECTIONS,
      durationS: DURATION_S,
      rounds: ROUNDS,
      post,
      get,
      cpu,
      multiTenant: multi,
      fairness: fair,
      rss: post.rss,
      large,
    };
    console.log(`BENCH_JSON ${JSON.stringify(json)}`);
  } catch (error) {
    // The services' own logs say why a run failed.
    console.error(`ingress output:\n${ingress.output().slice(-4000)}\nworker output:\n${worker.output().slice(-2000)}`);
    throw error;
  } finally {
    receiver.close();
    await Promise.all(children.map((child) => stopProcess(child)));
    // Profiles are written when the processes exit.
    if (profileDir) for (const line of summarizeProfiles(profileDir)) console.log(line);
    await raw.end();
    await db.destroy();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    // The floors' queues too (startFloors names them after it): each run left their keys behind.
    for (const prefix of [env.QUEUE_PREFIX, `${env.QUEUE_PREFIX}-floor`, `${env.QUEUE_PREFIX}-group-floor`])
      await deletePrefixKeys(createRedis({ url: redisUrl }, 'worker', 'scimflow-bench'), prefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
