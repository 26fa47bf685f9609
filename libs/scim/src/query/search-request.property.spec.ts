import * as fc from 'fast-check';
import { searchBody, searchQuery } from '../../../../tests/support/scim-arbitraries';
import { ScimError } from '../errors';
import { MAX_PAGE_SIZE, searchFromBody, searchFromQuery } from './search-request';

function check(fn: () => ReturnType<typeof searchFromQuery>): void {
  try {
    const request = fn();
    expect(request.count).toBeGreaterThanOrEqual(0);
    expect(request.count).toBeLessThanOrEqual(MAX_PAGE_SIZE);
    if (request.startIndex !== undefined) expect(request.startIndex).toBeGreaterThanOrEqual(1);
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    expect(error.status).toBe(400);
  }
}

describe('search requests (properties)', () => {
  it('turns any query string into a bounded search or a 400', () => {
    fc.assert(
      fc.property(searchQuery, (query) => check(() => searchFromQuery(query))),
      { numRuns: 3_000 },
    );
  });

  it('turns any .search body into a bounded search or a 400', () => {
    fc.assert(
      fc.property(searchBody, (value) => check(() => searchFromBody(value))),
      { numRuns: 3_000 },
    );
  });
});
