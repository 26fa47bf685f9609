import * as fc from 'fast-check';
import { bulkBody } from '../../../../tests/support/scim-arbitraries';
import { ScimError } from '../errors';
import { bulkIdReferences, resolveBulkIds } from './bulk-ids';
import { parseBulkRequest } from './parse-bulk-request';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const anId = '0190a0b0-0000-7000-8000-000000000001';
const paths = fc.constantFrom(`/Users/${anId}`, `/Groups/${anId}`);

describe('parseBulkRequest', () => {
  it('reads methods and keys case-insensitively and splits bulkId paths from ids', () => {
    const request = parseBulkRequest(
      {
        schemas: [BULK],
        failonerrors: 2,
        operations: [
          { method: 'post', path: '/Users', bulkId: 'u', data: { userName: 'a' } },
          { Method: 'PATCH', Path: '/Groups/bulkId:g', version: 'W/"3"', data: { Operations: [] } },
          { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'G' } },
          { method: 'DELETE', path: `/Users/${anId}`, data: 'ignored' },
        ],
      },
      10,
    );
    expect(request.failOnErrors).toBe(2);
    expect(request.operations).toEqual([
      { index: 0, method: 'POST', endpoint: 'Users', bulkId: 'u', data: { userName: 'a' } },
      {
        index: 1,
        method: 'PATCH',
        endpoint: 'Groups',
        target: { bulkId: 'g' },
        version: 'W/"3"',
        data: { Operations: [] },
      },
      { index: 2, method: 'POST', endpoint: 'Groups', bulkId: 'g', data: { displayName: 'G' } },
      { index: 3, method: 'DELETE', endpoint: 'Users', target: { id: anId } },
    ]);
  });

  it('answers 413 past maxOperations and 400 naming the operation otherwise', () => {
    const user = { method: 'POST', path: '/Users', bulkId: 'u', data: {} };
    expect(() => parseBulkRequest({ schemas: [BULK], Operations: [user, { ...user, bulkId: 'v' }] }, 1)).toThrow(
      expect.objectContaining({ status: 413 }),
    );
    // A bulkId path must name a POST to the same endpoint.
    const wrongEndpoint = { method: 'DELETE', path: '/Groups/bulkId:u' };
    expect(() => parseBulkRequest({ schemas: [BULK], Operations: [user, wrongEndpoint] }, 10)).toThrow(
      expect.objectContaining({ status: 400, detail: expect.stringContaining('Operations[1]') }),
    );
  });

  it('yields a request or a 4xx ScimError for any body, never another throw', () => {
    fc.assert(
      fc.property(bulkBody(paths, fc.constant(anId)), (body) => {
        try {
          const request = parseBulkRequest(body, 5);
          expect(request.operations.length).toBeGreaterThan(0);
          for (const operation of request.operations) expect(operation.method === 'POST').toBe(!operation.target);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect([400, 413]).toContain((error as ScimError).status);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('bulkId references', () => {
  it('are found in paths, values and PATCH filters, and replaced by the created ids', () => {
    const [operation] = parseBulkRequest(
      {
        schemas: [BULK],
        Operations: [
          {
            method: 'PATCH',
            path: '/Groups/bulkId:g',
            data: {
              Operations: [
                { op: 'add', path: 'members', value: [{ value: 'bulkId:u' }, { value: 'bulkId:elsewhere' }] },
                { op: 'remove', path: 'members[value eq "bulkId:v"]' },
              ],
              displayName: 'bulkId:u is just text here',
            },
          },
          { method: 'POST', path: '/Groups', bulkId: 'g', data: {} },
        ],
      },
      10,
    ).operations;
    if (!operation?.data) throw new Error('parsed without data');
    expect([...bulkIdReferences(operation, new Set(['g', 'u', 'v']))].toSorted()).toEqual(['g', 'u', 'v']);
    const resolved = resolveBulkIds(
      operation.data,
      new Map([
        ['u', 'U1'],
        ['v', 'V1'],
      ]),
    );
    expect(resolved).toEqual({
      Operations: [
        { op: 'add', path: 'members', value: [{ value: 'U1' }, { value: 'bulkId:elsewhere' }] },
        { op: 'remove', path: 'members[value eq "V1"]' },
      ],
      displayName: 'bulkId:u is just text here',
    });
  });

  it('leave no resolved reference behind in any request', () => {
    fc.assert(
      fc.property(bulkBody(paths, fc.constant(anId)), (body) => {
        let operations;
        try {
          operations = parseBulkRequest(body, 10).operations;
        } catch {
          return;
        }
        const ids = new Map(['b0', 'b1', 'b2'].map((id) => [id, `created-${id}`]));
        for (const operation of operations) {
          if (!operation.data) continue;
          const resolved = resolveBulkIds(operation.data, ids);
          const left = bulkIdReferences({ ...operation, target: { id: anId }, data: resolved }, new Set(ids.keys()));
          expect([...left]).toEqual([]);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
