// `npm run conformance -- <collection.json>`: runs a Postman collection (Okta's SCIM 2.0 SPEC
// test) with newman against the built ingress and worker, started as processes on a fresh
// database of DATABASE_URL's server and on REDIS_URL. Exits non-zero unless every assertion passes
// (and, with `--requests N` / `--min-assertions N`, unless the collection ran that much of itself).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import newman, { type NewmanRunOptions, type NewmanRunSummary } from 'newman';
import { Client } from 'pg';
import { createDatabase, migrateToLatest } from '@scimflow/db';
import { startScript, stopProcess, waitForHttp, type ServiceProcess } from '../../support/processes';
import { withChai, type CollectionItem } from './with-chai';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_TOKEN = `conformance-${randomBytes(12).toString('hex')}`;

function run(options: NewmanRunOptions): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(options, (error, summary) => (error ? reject(error) : resolve(summary))),
  );
}

async function createTenant(url: string): Promise<{ token: string; scimBaseUrl: string }> {
  const response = await fetch(`${url}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'okta-conformance' }),
  });
  if (response.status !== 201) throw new Error(`creating the tenant answered ${response.status}`);
  const { token, scimBaseUrl } = (await response.json()) as { token: string; scimBaseUrl: string };
  // The collection's own precondition: one user with a name, an email and an active flag.
  const seeded = await fetch(`${scimBaseUrl}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      userName: 'seed.user@atko.example',
      name: { givenName: 'Seed', familyName: 'User' },
      emails: [{ type: 'work', value: 'seed.user@atko.example', primary: true }],
      active: true,
    }),
  });
  if (seeded.status !== 201) throw new Error(`seeding the precondition user answered ${seeded.status}`);
  return { token, scimBaseUrl };
}

interface Expected {
  readonly requests?: number;
  readonly minAssertions?: number;
}

async function runCollection(file: string, url: string, expected: Expected): Promise<number> {
  const { token, scimBaseUrl } = await createTenant(url);
  const { collection, patched } = withChai(JSON.parse(readFileSync(file, 'utf8')) as CollectionItem);
  console.log(`collection ${path.basename(file)}: ${patched} script(s) given require('chai')`);
  const summary = await run({
    collection: collection as NewmanRunOptions['collection'],
    envVar: [
      { key: 'SCIMBaseURL', value: scimBaseUrl },
      { key: 'auth', value: `Bearer ${token}` },
    ],
    reporters: ['cli'],
    reporter: { cli: { noBanner: true } },
    color: 'off',
  });
  const { requests, assertions } = summary.run.stats;
  const failures = summary.run.failures.map((failure) => `${failure.source?.name ?? '?'}: ${failure.error.message}`);
  console.log(
    `conformance: ${requests.total} requests, ${assertions.total} assertions, ${assertions.failed} failed` +
      (failures.length > 0 ? `\n${failures.map((line) => `  - ${line}`).join('\n')}` : ''),
  );
  const ranAll =
    (expected.requests === undefined || requests.total === expected.requests) &&
    (assertions.total ?? 0) >= (expected.minAssertions ?? 1);
  if (!ranAll) console.error(`expected ${JSON.stringify(expected)} of the collection to run`);
  const passed = ranAll && failures.length === 0 && !assertions.failed && !requests.failed;
  return passed ? 0 : 1;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string' }, 'min-assertions': { type: 'string' } },
  });
  const [file] = positionals;
  if (!file) {
    console.error('usage: npm run conformance -- <collection.json> [--requests N] [--min-assertions N]');
    return 2;
  }
  const expected: Expected = {
    ...(values.requests ? { requests: Number(values.requests) } : {}),
    ...(values['min-assertions'] ? { minAssertions: Number(values['min-assertions']) } : {}),
  };
  const database = `scimflow_conformance_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${database}`;
  const services: ServiceProcess[] = [];
  try {
    const db = createDatabase({ url: databaseUrl.href, poolSize: 1, applicationName: 'scimflow-conformance' });
    await migrateToLatest(db);
    await db.destroy();
    const port = 19080 + Math.floor(Math.random() * 1000);
    const url = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: databaseUrl.href,
      REDIS_URL: redisUrl,
      ADMIN_TOKEN,
      PORT: String(port),
      PUBLIC_URL: url,
      QUEUE_PREFIX: database.replaceAll('_', '-'),
      WORKER_HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    services.push(startScript('ingress', env), startScript('worker', env));
    await waitForHttp(`${url}/readyz`).catch((error: unknown) => {
      throw new Error(`the services did not start: ${String(error)}\n${services.map((s) => s.output()).join('\n')}`);
    });
    return await runCollection(path.resolve(file), url, expected);
  } finally {
    await Promise.all(services.map((service) => stopProcess(service)));
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
