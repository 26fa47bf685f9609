import { isJsonObject, Urn } from '../constants';
import { ScimError } from '../errors';
import type { AttrPath, FilterNode } from '../filter/ast';
import { parseAttrPath, parseFilter } from '../filter/parser';

export const DEFAULT_PAGE_SIZE = 100;
/** Advertised as filter.maxResults and pagination.maxPageSize; larger counts are capped (RFC 7644 §3.4.2.4). */
export const MAX_PAGE_SIZE = 1000;

/** RFC 7644 §3.4.2 query parameters and RFC 9865's cursor, from a query string or a SearchRequest body. */
export interface SearchRequest {
  readonly filter?: FilterNode;
  readonly sortBy?: AttrPath;
  readonly sortOrder: 'ascending' | 'descending';
  /** Index paging (1-based). Absent when the request pages by cursor. */
  readonly startIndex?: number;
  /** RFC 9865: '' asks for the first page by cursor. */
  readonly cursor?: string;
  readonly count: number;
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

type Raw = Readonly<Record<string, unknown>>;

/** From `?filter=…&startIndex=…` (each parameter at most once). */
export function searchFromQuery(query: Raw): SearchRequest {
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw ScimError.badRequest('invalidValue', `Query parameter '${name}' must be given once`);
    return value;
  };
  return buildSearch({
    filter: single('filter'),
    sortBy: single('sortBy'),
    sortOrder: single('sortOrder'),
    startIndex: integer(single('startIndex'), 'startIndex'),
    count: integer(single('count'), 'count'),
    cursor: single('cursor'),
    attributes: list(single('attributes')),
    excludedAttributes: list(single('excludedAttributes')),
  });
}

/** From a `POST …/.search` body (RFC 7644 §3.4.3); numbers may be JSON numbers or strings. */
export function searchFromBody(body: unknown): SearchRequest {
  if (!isJsonObject(body))
    throw ScimError.badRequest('invalidSyntax', 'The request body must be a SearchRequest object');
  const schemas = body.schemas;
  if (
    schemas !== undefined &&
    (!Array.isArray(schemas) ||
      !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === Urn.SearchRequest.toLowerCase()))
  ) {
    throw ScimError.badRequest('invalidSyntax', `'schemas' must contain ${Urn.SearchRequest}`);
  }
  const field = (name: string): unknown =>
    body[Object.keys(body).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name];
  const text = (name: string): string | undefined => {
    const value = field(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw ScimError.badRequest('invalidValue', `'${name}' must be a string`);
    return value;
  };
  const number = (name: string): number | undefined => {
    const value = field(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    return integer(typeof value === 'string' ? value : 'x', name);
  };
  const names = (name: string): string[] | undefined => {
    const value = field(name);
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
      return value.flatMap((item) => list(item) ?? []);
    if (typeof value === 'string') return list(value);
    throw ScimError.badRequest('invalidValue', `'${name}' must be an array of attribute names`);
  };
  return buildSearch({
    filter: text('filter'),
    sortBy: text('sortBy'),
    sortOrder: text('sortOrder'),
    startIndex: number('startIndex'),
    count: number('count'),
    cursor: text('cursor'),
    attributes: names('attributes'),
    excludedAttributes: names('excludedAttributes'),
  });
}

interface RawSearch {
  filter: string | undefined;
  sortBy: string | undefined;
  sortOrder: string | undefined;
  startIndex: number | undefined;
  count: number | undefined;
  cursor: string | undefined;
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
}

function buildSearch(raw: RawSearch): SearchRequest {
  const order = raw.sortOrder?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw ScimError.badRequest('invalidValue', "sortOrder must be 'ascending' or 'descending'");
  }
  if (raw.cursor !== undefined && raw.startIndex !== undefined) {
    throw ScimError.badRequest(
      'invalidValue',
      'A request pages either by cursor or by startIndex, not both (RFC 9865 §2)',
    );
  }
  if (raw.cursor !== undefined && !/^[A-Za-z0-9\-._~]*$/.test(raw.cursor)) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this service issued');
  }
  const search: { -readonly [K in keyof SearchRequest]: SearchRequest[K] } = {
    sortOrder: order === 'descending' ? 'descending' : 'ascending',
    // RFC 7644 §3.4.2.4: a negative count means 0; more than the maximum gets the maximum.
    count: Math.min(MAX_PAGE_SIZE, Math.max(0, raw.count ?? DEFAULT_PAGE_SIZE)),
  };
  if (raw.filter !== undefined) search.filter = parseFilter(raw.filter);
  if (raw.sortBy !== undefined) search.sortBy = parseAttrPath(raw.sortBy.trim(), 'invalidPath');
  // RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1.
  if (raw.cursor === undefined) search.startIndex = Math.max(1, raw.startIndex ?? 1);
  else search.cursor = raw.cursor;
  if (raw.attributes) search.attributes = raw.attributes;
  if (raw.excludedAttributes) search.excludedAttributes = raw.excludedAttributes;
  return search;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\s*-?\d{1,15}\s*$/.test(value)) throw ScimError.badRequest('invalidValue', `'${name}' must be an integer`);
  return Number(value);
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}
