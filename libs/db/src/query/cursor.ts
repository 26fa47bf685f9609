import { createHash } from 'node:crypto';
import { ScimError } from '@scimflow/scim';

/** Where a cursor page ended: the last row's sort key (as text) and id. */
export interface Position {
  readonly key: string | null;
  readonly id: string;
}

/**
 * RFC 9865 cursors are keyset positions, base64url (unreserved characters only) over JSON that
 * also carries a fingerprint of the query: a cursor can't be replayed against another filter or
 * sort, and nothing is kept on the server, so cursors don't expire.
 */
export function encodeCursor(position: Position, fingerprint: string): string {
  return Buffer.from(JSON.stringify([fingerprint, position.key, position.id])).toString('base64url');
}

/** '' is the first page; anything that isn't a cursor we issued for this query is `400 invalidCursor`. */
export function decodeCursor(cursor: string, fingerprint: string): Position | undefined {
  if (cursor === '') return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 3)
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this service issued');
  const [print, key, id] = decoded as unknown[];
  if (print !== fingerprint)
    throw ScimError.badRequest(
      'invalidCursor',
      'The cursor belongs to a different query; repeat the original filter and sort',
    );
  if ((key !== null && typeof key !== 'string') || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this service issued');
  }
  return { key, id };
}

export function queryFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}
