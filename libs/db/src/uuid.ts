const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else is simply not found, and must never reach a `::uuid` cast (22P02 → 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The one spelling Postgres gives a uuid back in (lowercase): the form every map and cache key uses. */
export function isCanonicalUuid(value: string): boolean {
  return CANONICAL.test(value);
}
