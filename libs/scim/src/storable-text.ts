/**
 * Whether Postgres can store the string: text and jsonb reject U+0000, and jsonb rejects lone
 * UTF-16 surrogates, which JSON.parse happily produces from "\ud800". Client strings that reach
 * the database go through this, so such input is a 400 rather than a failed write.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}
