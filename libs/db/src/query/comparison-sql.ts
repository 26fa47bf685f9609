// One comparison or presence test of a filter, as SQL typed by the attribute it reads
// (RFC 7644 §3.4.2.2); filter-sql.ts composes these into a resource's whole filter.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { ScimError, type AttributeDefinition, type CompValue, type CompareOp } from '@scimflow/scim';
import { isUuid } from '../uuid';
import type { Accessor } from './resource-sql';

export type Condition = RawBuilder<SqlBool>;

export const TRUE = sql<SqlBool>`true`;
export const FALSE = sql<SqlBool>`false`;

export function invalid(detail: string): never {
  throw ScimError.badRequest('invalidFilter', detail);
}

export function presence({ accessor, def }: { accessor: Accessor; def: AttributeDefinition }): Condition {
  if (accessor.kind === 'constant') return TRUE;
  if (accessor.kind === 'text' && def.type !== 'boolean') return sql<SqlBool>`(${accessor.sql} <> '')`;
  return sql<SqlBool>`(${accessor.sql} is not null)`;
}

const ORDER_OPS: Readonly<Record<string, string>> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** One comparison, typed by the attribute (RFC 7644 §3.4.2.2 Table 3), never NULL. */
export function comparison(
  target: { accessor: Accessor; def: AttributeDefinition },
  op: CompareOp,
  value: CompValue,
  label: string,
): Condition {
  const { accessor, def } = target;
  if (value === null) {
    // `attr eq null` asks for absence, `ne null` for presence.
    if (op === 'eq') return sql<SqlBool>`((${presence(target)}) is not true)`;
    if (op === 'ne') return presence(target);
    return invalid(`'${op}' can't compare '${label}' with null`);
  }
  const positive = (condition: Condition): Condition =>
    op === 'ne' ? sql<SqlBool>`((${condition}) is not true)` : sql<SqlBool>`(${condition})`;
  const symbol = ORDER_OPS[op === 'ne' ? 'eq' : op];
  const ordered = (left: RawBuilder<unknown>, right: RawBuilder<unknown>) => {
    if (!symbol) return invalid(`'${op}' can't be used on the ${def.type} '${label}'`);
    return positive(sql<SqlBool>`${left} ${sql.raw(symbol)} ${right}`);
  };

  switch (accessor.kind) {
    case 'constant':
      if (op !== 'eq' && op !== 'ne') return invalid(`'${op}' can't be used on '${label}'`);
      return positive(sql<SqlBool>`${accessor.sql} = ${String(value)}`);
    case 'version': {
      if (op !== 'eq' && op !== 'ne') return invalid(`'${op}' can't be used on '${label}'`);
      const version = /^(W\/)?"?(\d{1,9})"?$/.exec(String(value))?.[2];
      return version === undefined
        ? op === 'ne'
          ? TRUE
          : FALSE
        : positive(sql<SqlBool>`${accessor.sql} = ${Number(version)}`);
    }
    case 'uuid':
      if (op === 'eq' || op === 'ne') {
        if (typeof value !== 'string' || !isUuid(value)) return op === 'ne' ? TRUE : FALSE;
        return positive(sql<SqlBool>`${accessor.sql} = ${value}::uuid`);
      }
      return textComparison(sql`${accessor.sql}::text`, false, op, String(value).toLowerCase(), ordered);
    case 'boolean':
      return booleanComparison(accessor.sql, op, value, label, positive);
    case 'timestamptz':
      return ordered(accessor.sql, sql`${dateValue(value, label)}::timestamptz`);
    case 'text':
      switch (def.type) {
        case 'boolean':
          return booleanComparison(sql`(${accessor.sql})::boolean`, op, value, label, positive);
        case 'dateTime':
          return ordered(sql`(${accessor.sql})::timestamptz`, sql`${dateValue(value, label)}::timestamptz`);
        case 'integer':
        case 'decimal':
          if (typeof value !== 'number') return invalid(`'${label}' is a number`);
          return ordered(sql`(${accessor.sql})::numeric`, sql`${value}::numeric`);
        case 'complex':
          return invalid(`Compare a sub-attribute of '${label}'`);
        default:
          return textComparison(accessor.sql, def.caseExact, op, String(value), ordered);
      }
  }
}

function textComparison(
  text: RawBuilder<unknown>,
  caseExact: boolean,
  op: CompareOp,
  value: string,
  ordered: (left: RawBuilder<unknown>, right: RawBuilder<unknown>) => Condition,
): Condition {
  const left = caseExact ? text : sql`lower(${text})`;
  const right = (v: string) => (caseExact ? sql`${v}` : sql`lower(${v})`);
  const like = (pattern: string) => sql<SqlBool>`(${left} like ${right(pattern)} escape '\\')`;
  const escaped = value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  switch (op) {
    case 'co':
      return like(`%${escaped}%`);
    case 'sw':
      return like(`${escaped}%`);
    case 'ew':
      return like(`%${escaped}`);
    default:
      return ordered(left, right(value));
  }
}

function booleanComparison(
  column: RawBuilder<unknown>,
  op: CompareOp,
  value: CompValue,
  label: string,
  positive: (c: Condition) => Condition,
): Condition {
  if (op !== 'eq' && op !== 'ne') return invalid(`'${op}' can't be used on the boolean '${label}'`);
  const bool =
    typeof value === 'boolean'
      ? value
      : typeof value === 'string' && /^(true|false)$/i.test(value)
        ? value.toLowerCase() === 'true'
        : undefined;
  if (bool === undefined) return invalid(`'${label}' is a boolean and can't equal ${JSON.stringify(value)}`);
  return positive(sql<SqlBool>`${column} = ${bool}`);
}

function dateValue(value: CompValue, label: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    return invalid(`'${label}' is compared with dates; ${JSON.stringify(value)} is not one`);
  return new Date(value).toISOString();
}
