import { isJsonObject, Urn, type JsonValue } from '../constants';
import { ScimError } from '../errors';

/** One operation as the client sent it, with `op` normalised (RFC 7644 §3.5.2). */
export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path?: string;
  readonly value?: JsonValue;
}

export const MAX_PATCH_OPERATIONS = 1000;

/** Validates the PatchOp envelope. Entra capitalises `op` ("Replace"), so it is matched case-insensitively. */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isJsonObject(body)) throw ScimError.badRequest('invalidSyntax', 'The request body must be a JSON object');
  const key = (name: string) => Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  const schemasKey = key('schemas');
  if (schemasKey !== undefined) {
    const schemas = body[schemasKey];
    if (
      !Array.isArray(schemas) ||
      !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === Urn.PatchOp.toLowerCase())
    ) {
      throw ScimError.badRequest('invalidSyntax', `'schemas' must contain ${Urn.PatchOp}`);
    }
  }
  const operationsKey = key('Operations');
  const operations = operationsKey === undefined ? undefined : body[operationsKey];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw ScimError.badRequest('invalidSyntax', "'Operations' must be a non-empty array");
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw ScimError.badRequest('invalidValue', `A PATCH may carry at most ${MAX_PATCH_OPERATIONS} operations`);
  }
  return operations.map((raw, index) => parseOperation(raw, index));
}

function parseOperation(raw: JsonValue, index: number): PatchOperation {
  if (!isJsonObject(raw)) throw ScimError.badRequest('invalidSyntax', `Operations[${index}] must be an object`);
  let op: string | undefined;
  let path: string | undefined;
  let value: JsonValue | undefined;
  for (const [key, field] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    if (lower === 'op') {
      if (typeof field !== 'string')
        throw ScimError.badRequest('invalidSyntax', `Operations[${index}].op must be a string`);
      op = field.toLowerCase();
    } else if (lower === 'path') {
      if (field !== null && typeof field !== 'string')
        throw ScimError.badRequest('invalidPath', `Operations[${index}].path must be a string`);
      if (typeof field === 'string' && field.trim() !== '') path = field.trim();
    } else if (lower === 'value') {
      value = field;
    }
  }
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw ScimError.badRequest('invalidSyntax', `Operations[${index}].op must be one of add, replace, remove`);
  }
  const operation: { op: typeof op; path?: string; value?: JsonValue } = { op };
  if (path !== undefined) operation.path = path;
  if (value !== undefined) operation.value = value;
  return operation;
}
