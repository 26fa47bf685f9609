import { ScimError } from '../errors';
import { searchFromBody, searchFromQuery } from './search-request';

describe('search requests', () => {
  it('reads query parameters with RFC 7644 defaults and limits', () => {
    expect(searchFromQuery({})).toEqual({ sortOrder: 'ascending', count: 100, startIndex: 1 });
    expect(searchFromQuery({ startIndex: '-3', count: '-1' })).toMatchObject({ startIndex: 1, count: 0 });
    expect(
      searchFromQuery({ count: '5000', sortBy: 'userName', sortOrder: 'DESCENDING', attributes: 'userName, emails' }),
    ).toMatchObject({
      count: 1000,
      sortBy: { attr: 'userName' },
      sortOrder: 'descending',
      attributes: ['userName', 'emails'],
    });
    expect(searchFromQuery({ cursor: '' })).toEqual({ sortOrder: 'ascending', count: 100, cursor: '' });
  });

  it('reads a SearchRequest body, with numbers as numbers or strings', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName eq "x"',
      startIndex: 2,
      count: '10',
      excludedAttributes: ['members'],
    };
    expect(searchFromBody(body)).toMatchObject({
      startIndex: 2,
      count: 10,
      excludedAttributes: ['members'],
      filter: { type: 'compare' },
    });
  });

  it.each([
    [() => searchFromQuery({ count: 'ten' }), 'invalidValue'],
    [() => searchFromQuery({ sortOrder: 'sideways' }), 'invalidValue'],
    [() => searchFromQuery({ cursor: 'abc', startIndex: '2' }), 'invalidValue'],
    [() => searchFromQuery({ cursor: 'not/a cursor' }), 'invalidCursor'],
    [() => searchFromQuery({ filter: ['a', 'b'] }), 'invalidValue'],
    [() => searchFromQuery({ filter: 'userName eq' }), 'invalidFilter'],
    [() => searchFromBody({ schemas: ['urn:wrong'] }), 'invalidSyntax'],
    [() => searchFromBody({ attributes: 3 }), 'invalidValue'],
    [() => searchFromBody('nope'), 'invalidSyntax'],
  ])('refuses %s', (parse, scimType) => {
    expect(parse).toThrow(ScimError);
    expect(parse).toThrow(expect.objectContaining({ status: 400, scimType }));
  });
});
