// `npm run bench`: drives scimflow (ingress + worker processes) and a bare Express + pg baseline
// with autocannon at 64 connections, in one run, and prints each one's figures and the ratios.
import autocannon, { type Result } from 'autocannon';
import { Client, Pool } from 'pg';
import { createDatabase, migrateToLatest } from '@scimflow/db';
import { rssBytes, sampleRss, startScript, stopProcess, waitForHttp } from '../../support/processes';
import { benchLargeGroups, reportLargeGroups } from './large-groups';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
/** Runs alternate between the two servers, and medians are reported: this machine is noisy. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GET_USERS = 10_000;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = Date.now().toString(36);

interface Figures {
  reqPerSec: number;
  p50: number;
  p99: number;
  rssMb: number;
  errors: number;
}

function entraUser(prefix: string, n: number) {
  const userName = `${prefix}-${n}@contoso.com`;
  return {
    schemas: [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ],
    externalId: `${prefix}-${n}`,
    userName,
    active: true,
    displayName: `Bench User ${n}`,
    preferredLanguage: 'en-US',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: `Bench User ${n}`, familyName: 'User', givenName: `Bench${n}` },
    roles: [],
  };
}

async function load(
  url: string,
  headers: Record<string, string>,
  request: autocannon.Request,
  pids: (number | undefined)[],
  durationS = DURATION_S,
): Promise<Figures> {
  const stop = sampleRss(pids);
  const result: Result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    headers,
    requests: [request],
  });
  const peak = stop();
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb: peak / 1024 / 1024,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

type Side = () => Promise<Figures>;

/**
 * ROUNDS runs of each side, alternating which goes first; the median of each figure. Before each
 * run, `settle` waits until scimflow's after-write work (relay, event jobs) is done, so neither
 * side runs against the other's backlog; what it waited after a scimflow run is its lag.
 */
async function compare(
  baseline: Side,
  scimflow: Side,
  settle: () => Promise<number>,
): Promise<{ baseline: Figures; scimflow: Figures; lagMs: number[] }> {
  const runs: { baseline: Figures[]; scimflow: Figures[] } = { baseline: [], scimflow: [] };
  const lagMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['baseline', 'scimflow'] as const) : (['scimflow', 'baseline'] as const);
    for (const side of order) {
      await settle();
      runs[side].push(await (side === 'baseline' ? baseline : scimflow)());
      if (side === 'scimflow') lagMs.push(await settle());
    }
  }
  return { baseline: median(runs.baseline), scimflow: median(runs.scimflow), lagMs };
}

function median(runs: Figures[]): Figures {
  const mid = (pick: (f: Figures) => number) => {
    const sorted = runs.map(pick).toSorted((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  return {
    reqPerSec: mid((f) => f.reqPerSec),
    p50: mid((f) => f.p50),
    p99: mid((f) => f.p99),
    rssMb: Math.max(...runs.map((f) => f.rssMb)),
    errors: runs.reduce((sum, f) => sum + f.errors, 0),
  };
}

function postRequest(basePath: string, prefix: string): autocannon.Request {
  let n = 0;
  return {
    method: 'POST',
    path: `${basePath}/Users`,
    setupRequest: (req) => ({ ...req, body: JSON.stringify(entraUser(prefix, n++)) }),
  };
}

function getRequest(basePath: string, names: string[]): autocannon.Request {
  return {
    method: 'GET',
    setupRequest: (req) => {
      const name = names[Math.floor(Math.random() * names.length)] as string;
      return { ...req, path: `${basePath}/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}` };
    },
  };
}

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

  const adminToken = 'bench-admin-token-0123456789';
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
  };
  const ingress = startScript('ingress', env);
  const worker = startScript('worker', env);
  const baseline = startScript('bench-baseline', {
    DATABASE_URL: databaseUrl.href,
    PORT: String(port + 1),
    DB_POOL_SIZE: '20',
  });
  const children = [ingress, worker, baseline];
  try {
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${port}/readyz`),
      waitForHttp(`http://127.0.0.1:${port + 1}/healthz`),
    ]);
    const created = (await (
      await fetch(`http://127.0.0.1:${port}/admin/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench' }),
      })
    ).json()) as { id: string; token: string };
    const scimUrl = `http://127.0.0.1:${port}`;
    const scimPath = `/scim/v2/${created.id}`;
    const scimHeaders = { authorization: `Bearer ${created.token}`, 'content-type': 'application/scim+json' };
    const baseUrl = `http://127.0.0.1:${port + 1}`;
    const basePath = '';
    const baseHeaders = { 'content-type': 'application/scim+json' };
    const scimPids = [ingress.child.pid, worker.child.pid];
    /** Waits until every committed event is relayed and consumed; returns how long that took. */
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

    console.log(`warming up (${CONNECTIONS} connections)...`);
    await load(baseUrl, baseHeaders, postRequest(basePath, 'warm-b'), [], 3);
    await load(scimUrl, scimHeaders, postRequest(scimPath, 'warm-s'), [], 3);

    console.log(`POST /Users: ${ROUNDS} rounds of ${DURATION_S}s per server...`);
    let round = 0;
    const post = await compare(
      () => load(baseUrl, baseHeaders, postRequest(basePath, `base${round++}`), [baseline.child.pid]),
      () => load(scimUrl, scimHeaders, postRequest(scimPath, `scim${round++}`), scimPids),
      settle,
    );

    // Top both stores up to at least GET_USERS users, then look random ones up.
    for (const [url, path, headers, table] of [
      [baseUrl, basePath, baseHeaders, 'bench_users'],
      [scimUrl, scimPath, scimHeaders, 'users'],
    ] as const) {
      const { rows } = await raw.query(`select count(*)::int as n from ${table}`);
      const missing = GET_USERS - (rows[0] as { n: number }).n;
      if (missing > 0)
        await autocannon({
          url,
          connections: CONNECTIONS,
          amount: missing,
          headers,
          requests: [postRequest(path, `fill-${table}`)],
        });
    }
    // Both tables just grew by thousands of rows; give the planner statistics, as autovacuum would.
    await raw.query('analyze bench_users');
    await raw.query('analyze users');
    const baseNames = (await raw.query(`select user_name from bench_users limit ${GET_USERS}`)).rows.map(
      (row: { user_name: string }) => row.user_name,
    );
    const scimNames = (await raw.query(`select user_name from users limit ${GET_USERS}`)).rows.map(
      (row: { user_name: string }) => row.user_name,
    );

    console.log(
      `GET /Users?filter=userName eq over ${GET_USERS}+ users: ${ROUNDS} rounds of ${DURATION_S}s per server...`,
    );
    const get = await compare(
      () => load(baseUrl, baseHeaders, getRequest(basePath, baseNames), [baseline.child.pid]),
      () => load(scimUrl, scimHeaders, getRequest(scimPath, scimNames), scimPids),
      settle,
    );

    console.log('large groups: 10,000-member PATCH x3, reads of a 100,000-member group...');
    await settle();
    const large = await benchLargeGroups(
      { url: scimUrl, path: scimPath, headers: scimHeaders, tenantId: created.id, ingressPid: ingress.child.pid },
      raw,
    );

    const idleRss = (rssBytes(ingress.child.pid) + rssBytes(worker.child.pid)) / 1024 / 1024;
    console.log(`\n${CONNECTIONS} connections, median of ${ROUNDS} runs of ${DURATION_S}s per figure (RSS: peak)`);
    report('POST /Users', post.baseline, post.scimflow);
    console.log(
      `  events relayed and consumed ${post.lagMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' / ')} after each scimflow round ended`,
    );
    report('GET  /Users?filter', get.baseline, get.scimflow);
    reportLargeGroups(large);
    console.log(`\nscimflow RSS after the run (ingress + worker): ${idleRss.toFixed(0)} MB`);
    console.log(
      `BENCH_JSON ${JSON.stringify({ connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, post, get, large })}`,
    );
  } catch (error) {
    // The services' own logs say why a run failed.
    console.error(`ingress output:\n${ingress.output().slice(-4000)}\nworker output:\n${worker.output().slice(-2000)}`);
    throw error;
  } finally {
    await Promise.all(children.map((child) => stopProcess(child)));
    await raw.end();
    await db.destroy();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

function report(name: string, base: Figures, scim: Figures): void {
  const row = (who: string, f: Figures) =>
    `  ${who.padEnd(9)} ${f.reqPerSec.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   RSS ${f.rssMb.toFixed(0).padStart(4)} MB   errors ${f.errors}`;
  console.log(`\n${name}`);
  console.log(row('baseline', base));
  console.log(row('scimflow', scim));
  console.log(
    `  ratio scimflow/baseline: throughput ${(scim.reqPerSec / base.reqPerSec).toFixed(2)}, p99 ${(scim.p99 / Math.max(1, base.p99)).toFixed(2)}, RSS ${(scim.rssMb / base.rssMb).toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
