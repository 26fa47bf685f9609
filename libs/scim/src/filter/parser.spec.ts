import { ScimError } from '../errors';
import { parseFilter, parsePatchPath } from './parser';

function errorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('parseFilter', () => {
  it("parses the IdPs' lookups", () => {
    expect(parseFilter('userName eq "alice@contoso.com"')).toEqual({
      type: 'compare',
      path: { attr: 'userName' },
      op: 'eq',
      value: 'alice@contoso.com',
    });
    expect(parseFilter('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')).toMatchObject({
      path: { attr: 'externalId' },
      op: 'eq',
    });
  });

  it('reads operators and keywords case-insensitively', () => {
    expect(parseFilter('userName EQ "x" AND active Eq TRUE')).toEqual({
      type: 'and',
      left: { type: 'compare', path: { attr: 'userName' }, op: 'eq', value: 'x' },
      right: { type: 'compare', path: { attr: 'active' }, op: 'eq', value: true },
    });
  });

  it('gives and precedence over or, and honours parentheses', () => {
    expect(parseFilter('a eq 1 or b eq 2 and c eq 3')).toMatchObject({ type: 'or', right: { type: 'and' } });
    expect(parseFilter('(a eq 1 or b eq 2) and c eq 3')).toMatchObject({ type: 'and', left: { type: 'or' } });
    expect(parseFilter('not (a pr)')).toEqual({ type: 'not', operand: { type: 'present', path: { attr: 'a' } } });
  });

  it("parses value paths, including Entra's trailing sub-attribute comparison", () => {
    expect(parseFilter('emails[type eq "work"]')).toEqual({
      type: 'valuePath',
      path: { attr: 'emails' },
      filter: { type: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' },
    });
    expect(parseFilter('emails[type eq "work"].value eq "a@b.c"')).toEqual({
      type: 'valuePath',
      path: { attr: 'emails' },
      filter: {
        type: 'and',
        left: { type: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' },
        right: { type: 'compare', path: { attr: 'value' }, op: 'eq', value: 'a@b.c' },
      },
    });
  });

  it('splits URN-qualified paths at the last colon', () => {
    expect(
      parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"'),
    ).toMatchObject({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager', sub: 'value' },
    });
  });

  it('reads literals and JSON string escapes', () => {
    expect(parseFilter('a eq null')).toMatchObject({ value: null });
    expect(parseFilter('a gt -1.5e2')).toMatchObject({ op: 'gt', value: -150 });
    expect(parseFilter('a eq "quote \\" and \\u00e9"')).toMatchObject({ value: 'quote " and é' });
  });

  it("tolerates Entra's unquoted values as strings", () => {
    expect(parseFilter('externalId eq jyoung')).toMatchObject({ value: 'jyoung' });
    expect(parseFilter('externalId eq 00123')).toMatchObject({ value: '00123' });
  });

  it.each([
    ['', 'Filter is empty'],
    ['userName', 'expression ended'],
    ['userName eq', 'expression ended'],
    ['userName like "x"', "Unknown operator 'like'"],
    ['userName eq "x" and', 'expression ended'],
    ['(userName eq "x"', "Expected ')'"],
    ['userName eq "x")', "Unexpected ')'"],
    ['emails[type eq "work"', "Expected ']'"],
    ['emails[addresses[type eq "x"]]', 'cannot be nested'],
    ['userName eq "unterminated', 'Unterminated string'],
    ['a.b.c eq "x"', 'not a valid attribute path'],
    ['1abc eq "x"', 'not a valid attribute path'],
    ['userName eq "a\\u0000b"', 'NUL character'],
    ['userName eq "\\ud800"', 'unpaired surrogate'],
  ])('rejects %j with 400 invalidFilter', (text, detail) => {
    const error = errorOf(() => parseFilter(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain(detail);
  });

  it('bounds nesting depth', () => {
    const deep = `${'('.repeat(100)}a eq 1${')'.repeat(100)}`;
    expect(errorOf(() => parseFilter(deep)).detail).toContain('nests deeper');
  });
});

describe('parsePatchPath', () => {
  it('parses attribute, sub-attribute, filtered and URN paths', () => {
    expect(parsePatchPath('name.givenName')).toEqual({ path: { attr: 'name', sub: 'givenName' } });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: { attr: 'emails', sub: 'value' },
      filter: { type: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' },
    });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({
      path: { attr: 'members' },
      filter: { type: 'compare' },
    });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager')).toEqual({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager' },
    });
  });

  it('rejects malformed paths with invalidPath', () => {
    for (const text of ['emails[', 'emails[type eq "work"] extra', 'name.givenName[type eq "x"]', '"quoted"']) {
      expect(errorOf(() => parsePatchPath(text)).scimType).toBe('invalidPath');
    }
  });
});
