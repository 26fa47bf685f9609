import { sql, type RawBuilder } from 'kysely';
import { resolveAttrPath, ScimError, type AttrPath } from '@scimflow/scim';
import type { ResourceSql } from './resource-sql';

/** The SQL type a sort key has, which is also how a cursor's saved key is cast back. */
export type KeyType = 'text' | 'uuid' | 'boolean' | 'timestamptz' | 'numeric' | 'integer';

export interface SortSpec {
  readonly key: RawBuilder<unknown>;
  readonly type: KeyType;
  readonly descending: boolean;
}

function invalid(detail: string): never {
  throw ScimError.badRequest('invalidValue', detail);
}

/**
 * RFC 7644 §3.4.2.3. Case-insensitive attributes sort case-insensitively; a multi-valued
 * attribute sorts by its primary value, else its first. Missing values sort last ascending and
 * first descending, which is Postgres's own NULL ordering.
 */
export function sortSpec(
  mapping: ResourceSql,
  path: AttrPath | undefined,
  order: 'ascending' | 'descending',
): SortSpec | undefined {
  if (!path) return undefined;
  const descending = order === 'descending';
  const resolved = resolveAttrPath(mapping.resource, path, 'invalidPath');
  const { attr, sub, namespace } = resolved;
  if (namespace === null && mapping.relations[attr.name]) invalid(`Results can't be sorted by '${attr.name}'`);
  const def = sub ?? attr;
  const column = namespace === null ? mapping.columns[sub ? `${attr.name}.${sub.name}` : attr.name] : undefined;
  if (column) {
    switch (column.kind) {
      case 'constant':
        return undefined;
      case 'version':
        return { key: column.sql, type: 'integer', descending };
      case 'text':
        return { key: def.caseExact ? column.sql : sql`lower(${column.sql})`, type: 'text', descending };
      default:
        return { key: column.sql, type: column.kind, descending };
    }
  }
  const base = namespace ? sql`${mapping.table}.data->${sql.lit(namespace)}` : sql`${mapping.table}.data`;
  let text: RawBuilder<unknown>;
  let valueDef = def;
  if (attr.multiValued) {
    const subName = sub?.name ?? (attr.type === 'complex' ? 'value' : undefined);
    valueDef = (subName && attr.subAttributes?.find((s) => s.name === subName)) || attr;
    const list = sql`${base}->${sql.lit(attr.name)}`;
    const element = subName && attr.type === 'complex' ? sql`scim_el.v->>${sql.lit(subName)}` : sql`scim_el.v #>> '{}'`;
    text = sql`(select ${element} from jsonb_array_elements(case when jsonb_typeof(${list}) = 'array' then ${list} else '[]'::jsonb end) with ordinality as scim_el(v, n) order by coalesce(scim_el.v->'primary' = 'true'::jsonb, false) desc, n limit 1)`;
  } else if (attr.type === 'complex') {
    if (!sub) invalid(`Sort by a sub-attribute of '${attr.name}'`);
    text = sql`${base}->${sql.lit(attr.name)}->>${sql.lit(sub.name)}`;
  } else {
    text = sql`${base}->>${sql.lit(attr.name)}`;
  }
  switch (valueDef.type) {
    case 'boolean':
      return { key: sql`(${text})::boolean`, type: 'boolean', descending };
    case 'dateTime':
      return { key: sql`(${text})::timestamptz`, type: 'timestamptz', descending };
    case 'integer':
    case 'decimal':
      return { key: sql`(${text})::numeric`, type: 'numeric', descending };
    case 'complex':
      return invalid(`Sort by a sub-attribute of '${valueDef.name}'`);
    default:
      return { key: valueDef.caseExact ? text : sql`lower(${text})`, type: 'text', descending };
  }
}
