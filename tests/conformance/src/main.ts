// `npm run conformance -- <collection.json>`: runs a Postman collection (Okta's SCIM 2.0 SPEC
// test) with newman against the built ingress and worker, started as processes on a fresh
// database of DATABASE_URL's server and on REDIS_URL (tests/support/built-services.ts). Exits non-zero unless every assertion passes
// (and, with `--requests N` / `--min-assertions N`, unless the collection ran that much of itself).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import newman, { type NewmanRunOptions, type NewmanRunSummary } from 'newman';
import { exitWith, withBuiltServices, type BuiltServices } from '../../support/built-services';
import { withChai, type CollectionItem } from './with-chai';

function run(options: NewmanRunOptions): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(options, (error, summary) => (error ? reject(error) : resolve(summary))),
  );
}

async function createTenant(services: BuiltServices): Promise<{ token: string; scimBaseUrl: string }> {
  const { token, scimBaseUrl } = await services.admin<{ token: string; scimBaseUrl: string }>('POST', '/tenants', {
    name: 'okta-conformance',
  });
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

async function runCollection(file: string, services: BuiltServices, expected: Expected): Promise<number> {
  const { token, scimBaseUrl } = await createTenant(services);
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
  return withBuiltServices('conformance', {}, (services) => runCollection(path.resolve(file), services, expected));
}

exitWith(main);
