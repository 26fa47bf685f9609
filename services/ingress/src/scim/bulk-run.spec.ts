import { parseBulkRequest, ScimError, type BulkOperation } from '@scimflow/scim';
import { runBulk, type BulkResult } from './bulk-run';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const anId = '0190a0b0-0000-7000-8000-000000000001';
type Op = Record<string, unknown>;

/** Runs a request against a fake executor that records what ran together, and fails userNames starting with "bad". */
async function simulate(operations: Op[], extra: Op = {}, concurrency = 4) {
  const request = parseBulkRequest({ schemas: [BULK], Operations: operations, ...extra }, 100);
  const waves: number[][] = [];
  let current: number[] = [];
  let inFlight = 0;
  const results = await runBulk(
    request,
    async (operation: BulkOperation, ids): Promise<BulkResult> => {
      if (inFlight === 0) waves.push((current = []));
      inFlight++;
      current.push(operation.index);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const data = JSON.stringify(operation.data ?? {});
      // Every reference it carries was created before it ran.
      for (const [, ref] of data.matchAll(/bulkId:(\w+)/g))
        if (ref !== undefined && !ids.has(ref)) throw new Error(`ran before bulkId ${ref} was created`);
      if (data.includes('"bad')) return { ok: false, error: { status: 400, detail: 'bad' } };
      return { ok: true, status: 201, id: `id-${operation.index}` };
    },
    {
      concurrency,
      stillWanted: () => true,
      refuse: (_operation, error: ScimError) => ({ ok: false, error: error.toData() }),
    },
  );
  const statuses = [...results].toSorted(([a], [b]) => a - b).map(([, r]) => (r.ok ? r.status : r.error.status));
  return { waves, statuses };
}

const user = (bulkId: string, userName = `${bulkId}@example.com`) => ({
  method: 'POST',
  path: '/Users',
  bulkId,
  data: { userName },
});
const group = (bulkId: string, members: string[]) => ({
  method: 'POST',
  path: '/Groups',
  bulkId,
  data: { displayName: bulkId, members: members.map((m) => ({ value: `bulkId:${m}` })) },
});

describe('runBulk', () => {
  it('runs consecutive operations of one kind together, up to the concurrency', async () => {
    const { waves, statuses } = await simulate([user('a'), user('b'), user('c'), group('g', ['a']), user('d')], {}, 2);
    expect(waves).toEqual([[0, 1], [2], [3], [4]]);
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
  });

  it('runs an operation after the POSTs it references, even later ones', async () => {
    const { waves } = await simulate([group('g', ['a', 'b']), user('a'), user('b')]);
    expect(waves).toEqual([[1, 2], [0]]);
  });

  it('keeps operations on one resource in request order', async () => {
    const patch = { method: 'PATCH', path: `/Users/${anId}`, data: { Operations: [] } };
    const { waves } = await simulate([patch, patch, { method: 'PATCH', path: `/Groups/${anId}`, data: {} }]);
    expect(waves).toEqual([[0], [1], [2]]);
  });

  it('answers 409 for an operation whose reference failed, and for a cycle', async () => {
    expect((await simulate([user('a', 'bad'), group('g', ['a'])])).statuses).toEqual([400, 409]);
    expect((await simulate([group('x', ['y']), group('y', ['x']), user('u')])).statuses).toEqual([409, 409, 201]);
  });

  it('runs one at a time with failOnErrors and stops when it is reached', async () => {
    const { waves, statuses } = await simulate([user('a'), user('b', 'bad'), user('c'), user('d', 'bad'), user('e')], {
      failOnErrors: 2,
    });
    expect(waves).toEqual([[0], [1], [2], [3]]);
    expect(statuses).toEqual([201, 400, 201, 400]);
  });
});
