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
 * What a failed write transaction means for the command in it:
 * - `retry`: a deadlock, a serialization failure, or another worker committing this very
 *   command meanwhile (the retry then answers it as a replay);
 * - `nameTaken`: a `userName` / group `displayName` uniqueness race lost;
 * - `missingMember`: a member deleted while this command was adding it;
 * - `badValue`: SQLSTATE class 22 ("data exception"): the statement was fine, a value wasn't
 *   (bad encoding, out of range...) — the input's fault, retrying can't help;
 * - `unavailable`: anything else (the database unreachable...): not applied, try again later.
 */
export type WriteFailure =
  | { readonly kind: 'retry' }
  | { readonly kind: 'nameTaken'; readonly table: ResourceTable }
  | { readonly kind: 'missingMember' }
  | { readonly kind: 'badValue' }
  | { readonly kind: 'unavailable' };

export function classifyWriteError(error: unknown): WriteFailure {
  const code = stringField(error, 'code');
  const constraint = stringField(error, 'constraint');
  if (code === PgCode.deadlockDetected || code === PgCode.serializationFailure) return { kind: 'retry' };
  if (code === PgCode.uniqueViolation && constraint === APPLIED_COMMANDS_KEY) return { kind: 'retry' };
  const table = code === PgCode.uniqueViolation && constraint !== undefined ? UNIQUE_NAME_OF[constraint] : undefined;
  if (table) return { kind: 'nameTaken', table };
  if (code === PgCode.foreignKeyViolation) return { kind: 'missingMember' };
  if (isDataException(error)) return { kind: 'badValue' };
  return { kind: 'unavailable' };
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
