import { sql, type RawBuilder, type SqlBool } from 'kysely';
import {
  formatAttrPath,
  resolveAttrPath,
  ScimError,
  UserResource,
  validateElementFilter,
  type AttributeDefinition,
  type CompValue,
  type FilterNode,
} from '@scimflow/scim';
import type { UserCondition } from '../repositories/user-repository';
import { isUuid } from '../uuid';

type Condition = RawBuilder<SqlBool>;

/** Columns generated from `data` and indexed; comparisons on them use the indexes. */
const columnFor: Record<string, RawBuilder<unknown>> = {
  id: sql`id`,
  userName: sql`user_name`,
  externalId: sql`external_id`,
  active: sql`active`,
};

/** Multi-valued attributes with a GIN index on their lower-cased `value`s (see migration 0001). */
const valueIndexed = new Set(['emails']);

/**
 * Translates a parsed filter into a WHERE condition on `users`, so filtering happens in Postgres.
 * Covers what Entra and Okta send today (`eq`, `and`, value paths); anything else is answered
 * with 400 invalidFilter rather than a wrong result.
 */
export function compileUserFilter(filter: FilterNode): UserCondition {
  return compileNode(filter);
}

function compileNode(node: FilterNode): Condition {
  switch (node.type) {
    case 'and':
      return sql<SqlBool>`(${compileNode(node.left)} and ${compileNode(node.right)})`;
    case 'compare':
      return compileCompare(node);
    case 'valuePath':
      return compileValuePath(node.path, node.filter);
    case 'or':
    case 'not':
      return unsupported(`'${node.type}'`);
    case 'present':
      return unsupported("'pr'");
  }
}

function compileCompare(node: Extract<FilterNode, { type: 'compare' }>): Condition {
  const resolved = resolveAttrPath(UserResource, node.path, 'invalidFilter');
  if (node.op !== 'eq') return unsupported(`'${node.op}'`);
  if (resolved.attr.multiValued) {
    // `emails.value eq "x"` is `emails[value eq "x"]` (RFC 7644 §3.4.2.2).
    if (!resolved.sub) return unsupported(`comparing the multi-valued '${resolved.attr.name}' itself`);
    return compileValuePath({ ...node.path, sub: undefined }, { type: 'compare', path: { attr: resolved.sub.name }, op: 'eq', value: node.value });
  }
  const base = resolved.namespace ? sql`data->${sql.lit(resolved.namespace)}` : sql`data`;
  if (resolved.attr.type === 'complex') {
    if (!resolved.sub) return unsupported(`comparing the complex '${resolved.attr.name}' itself`);
    return compareText(sql`${base}->${sql.lit(resolved.attr.name)}->>${sql.lit(resolved.sub.name)}`, resolved.sub, node.value, formatAttrPath(node.path));
  }
  if (!resolved.namespace && resolved.attr.name === 'id') {
    // ids are uuids: anything else can't match, and must not reach a uuid cast.
    return typeof node.value === 'string' && isUuid(node.value) ? sql<SqlBool>`id = ${node.value}` : sql<SqlBool>`false`;
  }
  const column = resolved.namespace ? undefined : columnFor[resolved.attr.name];
  return compareText(column ?? sql`${base}->>${sql.lit(resolved.attr.name)}`, resolved.attr, node.value, formatAttrPath(node.path), column !== undefined);
}

/** `attr[filter]`: some element of the multi-valued attribute matches the filter. */
function compileValuePath(path: { uri?: string; attr: string; sub?: string }, filter: FilterNode): Condition {
  const resolved = resolveAttrPath(UserResource, { ...(path.uri ? { uri: path.uri } : {}), attr: path.attr }, 'invalidFilter');
  const attr = resolved.attr;
  if (!attr.multiValued) return invalid(`'${attr.name}' is not multi-valued, so it can't take a value filter`);
  validateElementFilter(filter, attr, 'invalidFilter');
  const base = resolved.namespace ? sql`data->${sql.lit(resolved.namespace)}` : sql`data`;
  const list = sql`${base}->${sql.lit(attr.name)}`;
  const exists = sql<SqlBool>`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${list}) = 'array' then ${list} else '[]'::jsonb end) as scim_el(v) where ${compileElement(filter, attr)})`;
  const indexedValue = !resolved.namespace && valueIndexed.has(attr.name) ? valueEquality(filter) : undefined;
  if (indexedValue === undefined) return exists;
  // Same condition, phrased so Postgres can narrow candidates with the GIN index first.
  return sql<SqlBool>`(scim_lower_values(${list}) @> array[lower(${indexedValue})]::text[] and ${exists})`;
}

function compileElement(node: FilterNode, attr: AttributeDefinition): Condition {
  switch (node.type) {
    case 'and':
      return sql<SqlBool>`(${compileElement(node.left, attr)} and ${compileElement(node.right, attr)})`;
    case 'compare': {
      if (node.op !== 'eq') return unsupported(`'${node.op}'`);
      if (attr.type !== 'complex') return compareText(sql`scim_el.v #>> '{}'`, attr, node.value, `${attr.name}.value`);
      const sub = attr.subAttributes?.find((s) => s.name.toLowerCase() === node.path.attr.toLowerCase());
      if (!sub) return invalid(`'${node.path.attr}' is not a sub-attribute of ${attr.name}`);
      return compareText(sql`scim_el.v->>${sql.lit(sub.name)}`, sub, node.value, `${attr.name}.${sub.name}`);
    }
    default:
      return unsupported(`'${node.type}' inside a value filter`);
  }
}

/** `value eq "x"` at the top of a value filter's `and` chain, if there is one. */
function valueEquality(node: FilterNode): string | undefined {
  if (node.type === 'and') return valueEquality(node.left) ?? valueEquality(node.right);
  if (node.type === 'compare' && node.op === 'eq' && node.path.attr.toLowerCase() === 'value' && typeof node.value === 'string') return node.value;
  return undefined;
}

function compareText(text: RawBuilder<unknown>, attr: AttributeDefinition, value: CompValue, label: string, typedColumn = false): Condition {
  if (value === null) return unsupported(`comparing '${label}' with null (use 'pr')`);
  if (attr.type === 'boolean') {
    const bool = typeof value === 'boolean' ? value : typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : undefined;
    if (bool === undefined) return invalid(`'${label}' is a boolean and can't equal ${JSON.stringify(value)}`);
    return typedColumn ? sql<SqlBool>`${text} = ${bool}` : sql<SqlBool>`(${text})::boolean = ${bool}`;
  }
  if (attr.type !== 'string' && attr.type !== 'reference' && attr.type !== 'binary') return unsupported(`comparing the ${attr.type} '${label}'`);
  const textValue = String(value);
  return attr.caseExact ? sql<SqlBool>`${text} = ${textValue}` : sql<SqlBool>`lower(${text}) = lower(${textValue})`;
}

function unsupported(what: string): never {
  throw ScimError.badRequest('invalidFilter', `Filtering by ${what} is not supported yet`);
}

function invalid(detail: string): never {
  throw ScimError.badRequest('invalidFilter', detail);
}
