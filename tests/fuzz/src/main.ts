// `npm run fuzz -- --requests N`: drives the built ingress and worker (processes, on a fresh
// database) with generated SCIM traffic — filters, PATCH/POST/PUT bodies, malformed JSON, odd
// methods, content types, headers and query strings — and prints counts by status. Exits non-zero
// on any 5xx, any answer slower than --hang-ms, any 4xx without a SCIM Error body, a service
// that exits, or another tenant's data changing.
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import * as fc from 'fast-check';
import { exitWith, withBuiltServices, type BuiltServices } from '../../support/built-services';
import { fuzzRequest, type FuzzRequest, type FuzzTarget } from './fuzz-requests';
import { sendRequest, type FuzzAnswer } from './send-request';
import { FuzzTally } from './fuzz-tally';

const BATCH = 500;
const MAX_BODY_BYTES = 256 * 1024;
const UNLIMITED = {
  writesPerSecond: 100_000,
  writeBurst: 100_000,
  writesInFlight: 10_000,
  readsPerSecond: 100_000,
  readBurst: 100_000,
};

interface Tenant {
  readonly id: string;
  readonly token: string;
  readonly scimBaseUrl: string;
}

async function scim(tenant: Tenant, method: string, path: string, body?: unknown) {
  const response = await fetch(`${tenant.scimBaseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/scim+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Users and groups for the fuzzed requests to find, change and delete. */
async function seed(tenant: Tenant, users: number, groups: number) {
  const userIds: string[] = [];
  for (let n = 0; n < users; n++) {
    const created = await scim(tenant, 'POST', '/Users', {
      userName: `seed-${n}@example.com`,
      externalId: `seed-${n}`,
      emails: [{ type: 'work', value: `seed-${n}@example.com`, primary: true }],
      roles: [{ value: 'Reader', primary: true }],
    });
    userIds.push(String(created.body.id));
  }
  const groupIds: string[] = [];
  for (let n = 0; n < groups; n++) {
    const members = userIds.slice(n, n + 5).map((value) => ({ value }));
    groupIds.push(String((await scim(tenant, 'POST', '/Groups', { displayName: `Seed group ${n}`, members })).body.id));
  }
  return { userIds, groupIds };
}

/** What another tenant holds, as its own SCIM client reads it: must be the same after the run. */
async function snapshot(tenant: Tenant): Promise<string> {
  const users = await scim(tenant, 'GET', '/Users?sortBy=userName');
  const groups = await scim(tenant, 'GET', '/Groups?sortBy=displayName');
  return JSON.stringify([users.body, groups.body]);
}

/** Learns ids from what the service answered: created resources become targets, deleted ones stop being. */
function track(target: { userIds: string[]; groupIds: string[] }, request: FuzzRequest, answer: FuzzAnswer) {
  if (answer.kind !== 'status') return;
  const list = request.path.includes('/Groups') ? target.groupIds : target.userIds;
  if (answer.status === 201 && request.method === 'POST') {
    const id = /"id":"([0-9a-f-]{36})"/.exec(answer.body)?.[1];
    if (id) list.push(id);
  }
  if (answer.status === 204 && request.method === 'DELETE') {
    const id = request.path.split('/').pop()?.split('?')[0];
    const index = id === undefined ? -1 : list.indexOf(id);
    if (index >= 0) list.splice(index, 1);
  }
}

async function fuzz(
  services: BuiltServices,
  options: { requests: number; concurrency: number; seed: number; hangMs: number },
) {
  const created = await services.admin<Tenant>('POST', '/tenants', { name: 'fuzzed' });
  await services.admin('PATCH', `/tenants/${created.id}`, { budget: UNLIMITED });
  const control = await services.admin<Tenant>('POST', '/tenants', { name: 'control' });
  await seed(control, 3, 1);
  const before = await snapshot(control);
  const ids = await seed(created, 20, 5);
  const origin = new URL(services.url);
  const basePath = new URL(created.scimBaseUrl).pathname;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const tally = new FuzzTally(options.hangMs);
  const started = performance.now();
  for (let batch = 0; tally.total < options.requests; batch++) {
    const target: FuzzTarget = { basePath, token: created.token, ...ids, maxBodyBytes: MAX_BODY_BYTES };
    const size = Math.min(BATCH, options.requests - tally.total);
    const requests = fc.sample(fuzzRequest(target), { numRuns: size, seed: options.seed + batch });
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < requests.length) {
          const request = requests[next++] as FuzzRequest;
          const answer = await sendRequest(origin, agent, request, options.hangMs);
          tally.add(request, answer);
          track(ids, request, answer);
        }
      }),
    );
    const crashed = services.exited();
    if (crashed) {
      tally.fail(`a service exited (code ${crashed.child.exitCode}):\n${crashed.output().slice(-4_000)}`);
      break;
    }
    if (batch % 20 === 19) console.log(`  ${tally.total} requests, ${tally.failures.length} failures`);
  }
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  if ((await snapshot(control)) !== before) tally.fail("the control tenant's users or groups changed");
  const ready = await fetch(`${services.url}/readyz`).catch(() => undefined);
  if (ready?.status !== 200) tally.fail(`readiness after the run: ${ready?.status ?? 'no answer'}`);
  return { tally, seconds };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '8' },
      seed: { type: 'string' },
      'hang-ms': { type: 'string', default: '5000' },
    },
  });
  const options = {
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed),
    hangMs: Number(values['hang-ms']),
  };
  if (![options.requests, options.concurrency, options.seed, options.hangMs].every(Number.isInteger)) {
    console.error('usage: npm run fuzz -- [--requests N] [--concurrency N] [--seed N] [--hang-ms N]');
    return 2;
  }
  console.log(`fuzz: ${options.requests} requests, concurrency ${options.concurrency}, seed ${options.seed}`);
  return withBuiltServices('fuzz', { MAX_BODY_BYTES: String(MAX_BODY_BYTES) }, async (services) => {
    const { tally, seconds } = await fuzz(services, options);
    tally.print(seconds, options.seed);
    return tally.failures.length === 0 ? 0 : 1;
  });
}

exitWith(main);
