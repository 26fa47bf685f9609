import { isJsonObject, Urn, type JsonObject, type JsonValue } from '../constants';
import { ScimError } from '../errors';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkEndpoint = 'Users' | 'Groups';

/** Which resource an operation acts on: an existing id, or the resource a POST of this request creates. */
export type BulkTarget = { readonly id: string } | { readonly bulkId: string };

/** One operation of a BulkRequest (RFC 7644 §3.7), its envelope checked; its `data` is checked when it runs. */
export interface BulkOperation {
  /** Position in the request: results are answered in this order. */
  readonly index: number;
  readonly method: BulkMethod;
  readonly endpoint: BulkEndpoint;
  /** Absent for POST, which creates. */
  readonly target?: BulkTarget;
  readonly bulkId?: string;
  /** The client's ETag (`version`), applied as If-Match. */
  readonly version?: string;
  readonly data?: JsonObject;
}

export interface BulkRequest {
  /** Stop after this many failed operations (RFC 7644 §3.7.3); absent: run them all. */
  readonly failOnErrors?: number;
  readonly operations: readonly BulkOperation[];
}

const METHODS: ReadonlySet<string> = new Set<BulkMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);
const PATH = /^\/(Users|Groups)(?:\/([^/?#]+))?\/?$/;
export const BULK_ID_PREFIX = 'bulkId:';

/** Keys are matched case-insensitively, as the PatchOp's are (clients send `operations` and `Operations`). */
function field(body: JsonObject, name: string): JsonValue | undefined {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/**
 * Checks a BulkRequest's envelope: its schema, `failOnErrors`, and each operation's method, path,
 * bulkId and data. Anything wrong here refuses the whole request (400, naming the operation), so
 * no operation runs from a request the client got wrong; what an operation's data says is checked
 * by the same code as a single request, per operation. More than `maxOperations`: 413 (§3.7.4).
 */
export function parseBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isJsonObject(body)) throw ScimError.badRequest('invalidSyntax', 'The request body must be a JSON object');
  const schemas = field(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s === Urn.BulkRequest))
    throw ScimError.badRequest('invalidSyntax', `'schemas' must contain ${Urn.BulkRequest}`);
  const failOnErrors = field(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)
  )
    throw ScimError.badRequest('invalidValue', "'failOnErrors' must be a positive integer");
  const operations = field(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0)
    throw ScimError.badRequest('invalidSyntax', "'Operations' must be a non-empty array");
  if (operations.length > maxOperations)
    throw new ScimError(
      413,
      `A bulk request may carry at most ${maxOperations} operations (maxOperations); this one has ${operations.length}`,
    );
  const parsed = operations.map((raw, index) => parseOperation(raw, index));
  checkBulkIds(parsed);
  return failOnErrors === undefined ? { operations: parsed } : { failOnErrors, operations: parsed };
}

function parseOperation(raw: JsonValue, index: number): BulkOperation {
  const at = `Operations[${index}]`;
  if (!isJsonObject(raw)) throw ScimError.badRequest('invalidSyntax', `${at} must be an object`);
  const rawMethod = field(raw, 'method');
  const method = typeof rawMethod === 'string' ? rawMethod.toUpperCase() : '';
  if (!isBulkMethod(method))
    throw ScimError.badRequest('invalidSyntax', `${at}.method must be one of POST, PUT, PATCH, DELETE`);
  const path = field(raw, 'path');
  const match = typeof path === 'string' ? PATH.exec(path) : null;
  if (!match)
    throw ScimError.badRequest('invalidPath', `${at}.path must be /Users, /Groups, /Users/{id} or /Groups/{id}`);
  const endpoint: BulkEndpoint = match[1] === 'Users' ? 'Users' : 'Groups';
  const id = match[2] === undefined ? undefined : decodeURIComponentSafe(match[2], at);
  if (method === 'POST' && id !== undefined)
    throw ScimError.badRequest('invalidPath', `${at}: POST creates, so its path is /${endpoint}`);
  if (method !== 'POST' && id === undefined)
    throw ScimError.badRequest('invalidPath', `${at}: ${method} needs /${endpoint}/{id}`);
  const bulkId = optionalString(raw, 'bulkId', at);
  // §3.7.2: bulkId is REQUIRED when the method is POST (it is how the client finds its new id).
  if (method === 'POST' && bulkId === undefined)
    throw ScimError.badRequest('invalidValue', `${at}: a POST needs a bulkId`);
  const version = optionalString(raw, 'version', at);
  const data = field(raw, 'data');
  if (method !== 'DELETE' && !isJsonObject(data))
    throw ScimError.badRequest('invalidSyntax', `${at}.data must be an object`);
  return {
    index,
    method,
    endpoint,
    ...(id === undefined
      ? {}
      : { target: id.startsWith(BULK_ID_PREFIX) ? { bulkId: id.slice(BULK_ID_PREFIX.length) } : { id } }),
    ...(bulkId === undefined ? {} : { bulkId }),
    ...(version === undefined ? {} : { version }),
    ...(method !== 'DELETE' && isJsonObject(data) ? { data } : {}),
  };
}

function isBulkMethod(method: string): method is BulkMethod {
  return METHODS.has(method);
}

function optionalString(raw: JsonObject, name: string, at: string): string | undefined {
  const value = field(raw, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '')
    throw ScimError.badRequest('invalidValue', `${at}.${name} must be a non-empty string`);
  return value;
}

function decodeURIComponentSafe(segment: string, at: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ScimError.badRequest('invalidPath', `${at}.path has a malformed %-escape`);
  }
}

/** bulkIds are unique in a request, and a path may only name one a POST of the request defines. */
function checkBulkIds(operations: readonly BulkOperation[]): void {
  const defined = new Set<string>();
  for (const operation of operations) {
    if (operation.bulkId === undefined) continue;
    if (defined.has(operation.bulkId))
      throw ScimError.badRequest(
        'invalidValue',
        `Operations[${operation.index}]: bulkId "${operation.bulkId}" is used twice`,
      );
    defined.add(operation.bulkId);
  }
  for (const operation of operations) {
    const target = operation.target;
    if (target && 'bulkId' in target && !createdBy(operations, target.bulkId, operation.endpoint))
      throw ScimError.badRequest(
        'invalidValue',
        `Operations[${operation.index}].path names bulkId "${target.bulkId}", which no POST to /${operation.endpoint} in this request defines`,
      );
  }
}

function createdBy(operations: readonly BulkOperation[], bulkId: string, endpoint: BulkEndpoint): boolean {
  return operations.some((o) => o.method === 'POST' && o.bulkId === bulkId && o.endpoint === endpoint);
}
