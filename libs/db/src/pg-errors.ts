/** SQLSTATE codes we act on (PostgreSQL Appendix A). */
export const PgCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  notNullViolation: '23502',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  invalidTextRepresentation: '22P02',
} as const;

/**
 * SQLSTATE class 22, "data exception": the statement was fine, a value wasn't (bad encoding,
 * out of range...). Validation should have caught it; if it didn't, it is still the input's fault.
 */
export function isDataException(error: unknown): boolean {
  return pgErrorCode(error)?.startsWith('22') ?? false;
}

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'constraint' in error && typeof error.constraint === 'string')
    return error.constraint;
  return undefined;
}
