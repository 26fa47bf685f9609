import type { ResourceTable } from './repositories/resource-repository';

/** SQLSTATE codes we act on (PostgreSQL Appendix A). */
const PgCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/** Unique indexes named by the migrations: 0001 (users, applied_commands), 0002 (groups). */
const UNIQUE_NAME_OF: Readonly<Record<string, ResourceTable>> = {
  users_user_name_key: 'users',
  groups_display_name_key: 'groups',
};
const APPLIED_COMMANDS_KEY = 'applied_commands_pkey';

/**
 * What a failed write transaction means for the command in it. Every kind but `unavailable`
 * means Postgres refused the transaction, so it rolled back: the command was not applied.
 * - `retry`: a deadlock, a serialization failure, or another worker committing this very
 *   command meanwhile (the retry then answers it as a replay);
 * - `nameTaken`: a `userName` / group `displayName` uniqueness race lost;
 * - `missingMember`: a member deleted while this command was adding it;
 * - `badValue`: the statement was fine, a value wasn't — a data exception (class 22: bad
 *   encoding, out of range...), another integrity violation (class 23), or a program limit
 *   (class 54: "index row size exceeds maximum"). The input's fault; retrying can't help;
 * - `timeout`: a statement or lock timeout, or the query cancelled (57014, 55P03);
 * - `refused`: any other error Postgres answered with a SQLSTATE (it rolled the transaction back);
 * - `unavailable`: no answer from Postgres (connection refused or lost, pool exhausted): the
 *   commit may or may not have happened, so only a look at applied_commands can tell;
 * - `bug`: an exception of our own code, thrown before anything was committed.
 */
export type WriteFailure =
  | { readonly kind: 'retry' }
  | { readonly kind: 'nameTaken'; readonly table: ResourceTable }
  | { readonly kind: 'missingMember' }
  | { readonly kind: 'badValue' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'bug' };

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function classifyWriteError(error: unknown): WriteFailure {
  const code = stringField(error, 'code');
  const constraint = stringField(error, 'constraint');
  if (code === undefined || !SQLSTATE.test(code))
    return isConnectionError(error) ? { kind: 'unavailable' } : { kind: 'bug' };
  if (code === PgCode.deadlockDetected || code === PgCode.serializationFailure) return { kind: 'retry' };
  if (code === PgCode.uniqueViolation && constraint === APPLIED_COMMANDS_KEY) return { kind: 'retry' };
  const table = code === PgCode.uniqueViolation && constraint !== undefined ? UNIQUE_NAME_OF[constraint] : undefined;
  if (table) return { kind: 'nameTaken', table };
  if (code === PgCode.foreignKeyViolation) return { kind: 'missingMember' };
  if (code.startsWith('22') || code.startsWith('23') || code.startsWith('54')) return { kind: 'badValue' };
  if (code === '57014' || code === '55P03') return { kind: 'timeout' };
  // Class 08 (connection exception), 53 (insufficient resources), 57P0x (server shutting down):
  // the server may not have seen the commit through.
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) return { kind: 'unavailable' };
  return { kind: 'refused', code };
}

/** Node's socket errors and node-postgres's own "connection gone" errors. */
function isConnectionError(error: unknown): boolean {
  const code = stringField(error, 'code');
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /connection|terminated|timeout exceeded|Client has encountered|not queryable/i.test(message);
}

/** SQLSTATE class 22, "data exception": a value Postgres won't take. Validation should have caught it. */
export function isDataException(error: unknown): boolean {
  return stringField(error, 'code')?.startsWith('22') ?? false;
}

function stringField(error: unknown, name: 'code' | 'constraint'): string | undefined {
  if (typeof error !== 'object' || error === null || !(name in error)) return undefined;
  const value: unknown = Reflect.get(error, name);
  return typeof value === 'string' ? value : undefined;
}

/** Postgres didn't answer (down, restarting, out of connections): the client should retry later (503). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const kind = classifyWriteError(error).kind;
  return kind === 'unavailable' || (kind === 'bug' && isPoolTimeout(error));
}

function isPoolTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

/**
 * The schema is missing or older than this build (undefined table, column or function): the
 * migrations have not run. The service answers 503 (and readiness says `schema: behind`) rather
 * than 500 (issue 11).
 */
export function isSchemaMissing(error: unknown): boolean {
  const code = stringField(error, 'code');
  return code === '42P01' || code === '42703' || code === '42883';
}
