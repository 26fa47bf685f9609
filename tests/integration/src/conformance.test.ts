import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { ProcessStack } from '../../support/process-stack';
import { waitForHttp } from '../../support/processes';

/** Okta's SCIM 2.0 SPEC test (../shared/conformance, beside the repository): what Okta asks an app to pass. */
const COLLECTION = path.resolve(
  __dirname,
  '../../../../shared/conformance/okta-scim20-spec-test.newman.postman_collection.json',
);

let stack: ProcessStack;

beforeAll(async () => {
  if (!existsSync(COLLECTION)) throw new Error(`Okta's conformance collection is missing: ${COLLECTION}`);
  stack = await ProcessStack.create();
  await stack.startIngress();
  stack.startWorker();
  await waitForHttp(`${stack.url}/readyz`);
});
afterAll(() => stack.stop());

interface CollectionItem {
  name?: string;
  item?: CollectionItem[];
  event?: { script?: { exec?: string[] } }[];
}

/**
 * The collection's Runscope-era script uses a global `chai`; newman's sandbox offers chai only
 * through require('chai'), so that script fails against any server. This adds that one line to
 * scripts using it, and changes nothing else: every assertion runs as Okta wrote it.
 */
function withChai(collection: CollectionItem): { collection: CollectionItem; patched: number } {
  let patched = 0;
  const visit = (item: CollectionItem): CollectionItem => ({
    ...item,
    ...(item.item ? { item: item.item.map(visit) } : {}),
    ...(item.event
      ? {
          event: item.event.map((event) => {
            const exec = event.script?.exec;
            if (
              !exec ||
              !exec.some((line) => /\bchai\./.test(line)) ||
              exec.some((line) => line.includes("require('chai')"))
            )
              return event;
            patched++;
            return { ...event, script: { ...event.script, exec: ["var chai = require('chai');", ...exec] } };
          }),
        }
      : {}),
  });
  return { collection: visit(collection), patched };
}

function run(options: newman.NewmanRunOptions): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(options, (error, summary) => (error ? reject(error) : resolve(summary))),
  );
}

describe("Okta's SCIM 2.0 SPEC test", () => {
  it('passes every assertion against the running services', async () => {
    const tenant = await stack.createTenant('okta-conformance');
    // The collection's own precondition: one user with a name, an email and an active flag.
    const seeded = await tenant.scim.post('/Users', {
      userName: 'seed.user@atko.example',
      name: { givenName: 'Seed', familyName: 'User' },
      emails: [{ type: 'work', value: 'seed.user@atko.example', primary: true }],
      active: true,
    });
    expect(seeded.status).toBe(201);

    const { collection, patched } = withChai(JSON.parse(readFileSync(COLLECTION, 'utf8')) as CollectionItem);
    expect(patched).toBe(1);
    const summary = await run({
      collection: collection as newman.NewmanRunOptions['collection'],
      envVar: [
        { key: 'SCIMBaseURL', value: tenant.scimBaseUrl },
        { key: 'auth', value: `Bearer ${tenant.token}` },
      ],
      reporters: [],
    });
    const failures = summary.run.failures.map((failure) => `${failure.source?.name ?? '?'}: ${failure.error.message}`);
    expect(failures).toEqual([]);
    expect(summary.run.stats.requests.total).toBe(12);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(52);
    expect(summary.run.stats.assertions.failed).toBe(0);
  });
});
