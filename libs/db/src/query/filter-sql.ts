import { sql, type RawBuilder, type SqlBool } from 'kysely';
import {
  formatAttrPath,
  resolveAttrPath,
  validateElementFilter,
  type AttrPath,
  type AttributeDefinition,
  type CompValue,
  type CompareOp,
  type FilterNode,
  type ResolvedPath,
} from '@scimflow/scim';
import type { Accessor, ResourceSql } from './resource-sql';
import { comparison, invalid, presence, TRUE, type Condition } from './comparison-sql';

export type { Condition } from './comparison-sql';

/**
 * Compiles a SCIM filter (RFC 7644 §3.4.2.2) into a condition on the resource's table. A missing
 * attribute makes a comparison NULL, which WHERE treats as false; negations are written
 * `(…) is not true`, which treats it as false too, so `not` and `ne` behave as SCIM says. Leaves
 * stay bare (no coalesce) so Postgres still sees the indexed expressions.
 */
export function compileFilter(mapping: ResourceSql, filter: FilterNode): Condition {
  return new FilterCompiler(mapping).node(filter);
}

/**
 * A value filter over one row of a relation (`members[type eq "Group"]`), to use inside a query
 * whose FROM is that relation's (see MEMBER_JOINS).
 */
export function compileRelationFilter(mapping: ResourceSql, attr: string, filter: FilterNode): Condition {
  return new FilterCompiler(mapping).relationElement(attr, filter);
}

/** Where a value lives: one value per resource, or elements of a multi-valued attribute. */
interface ElementScope {
  /** The accessor and definition of a sub-attribute of one element. */
  sub(name: string): { accessor: Accessor; def: AttributeDefinition } | undefined;
  exists(condition: Condition): Condition;
  label: string;
}

class FilterCompiler {
  constructor(private readonly mapping: ResourceSql) {}

  node(node: FilterNode): Condition {
    switch (node.type) {
      case 'and':
        return sql<SqlBool>`(${this.node(node.left)} and ${this.node(node.right)})`;
      case 'or':
        return sql<SqlBool>`(${this.node(node.left)} or ${this.node(node.right)})`;
      case 'not':
        return sql<SqlBool>`((${this.node(node.operand)}) is not true)`;
      case 'present':
        return this.present(node.path);
      case 'compare':
        return this.compare(node.path, node.op, node.value);
      case 'valuePath': {
        const resolved = this.resolve({ ...node.path, sub: undefined });
        if (!resolved.attr.multiValued)
          invalid(`'${resolved.attr.name}' is not multi-valued, so it can't take a value filter`);
        validateElementFilter(node.filter, resolved.attr, 'invalidFilter');
        const scope = this.elements(resolved);
        return this.withIndexHint(resolved, node.filter, scope.exists(this.element(scope, node.filter)));
      }
    }
  }

  relationElement(attr: string, filter: FilterNode): Condition {
    const resolved = this.resolve({ attr });
    validateElementFilter(filter, resolved.attr, 'invalidPath');
    return this.element(this.elements(resolved), filter);
  }

  private resolve(path: AttrPath): ResolvedPath {
    const resolved = resolveAttrPath(this.mapping.resource, path, 'invalidFilter');
    if (resolved.attr.returned === 'never' || resolved.sub?.returned === 'never')
      invalid(`'${formatAttrPath(path)}' can't be filtered on`);
    return resolved;
  }

  private present(path: AttrPath): Condition {
    const resolved = this.resolve(path);
    if (resolved.attr.multiValued) {
      const scope = this.elements(resolved);
      return scope.exists(resolved.sub ? presence(this.subOf(scope, resolved.sub.name)) : TRUE);
    }
    if (resolved.attr.type === 'complex' && !resolved.sub)
      return sql<SqlBool>`(jsonb_typeof(${this.json(resolved)}) = 'object')`;
    return presence({ accessor: this.scalar(resolved), def: resolved.sub ?? resolved.attr });
  }

  private compare(path: AttrPath, op: CompareOp, value: CompValue): Condition {
    const resolved = this.resolve(path);
    if (resolved.attr.multiValued) {
      // `emails co "x"` and `emails.value eq "x"` test every element's value (RFC 7644 §3.4.2.2).
      const scope = this.elements(resolved);
      const name = resolved.sub?.name ?? 'value';
      const condition = comparison(this.subOf(scope, name), op, value, `${resolved.attr.name}.${name}`);
      const filter: FilterNode = { type: 'compare', path: { attr: name }, op, value };
      return this.withIndexHint(resolved, filter, scope.exists(condition));
    }
    const def = resolved.sub ?? resolved.attr;
    if (def.type === 'complex')
      invalid(
        `Compare a sub-attribute of '${def.name}', such as '${def.name}.${def.subAttributes?.[0]?.name ?? 'value'}'`,
      );
    return comparison({ accessor: this.scalar(resolved), def }, op, value, formatAttrPath(path));
  }

  /** A filter inside `attr[...]`: every path names a sub-attribute of one element. */
  private element(scope: ElementScope, node: FilterNode): Condition {
    switch (node.type) {
      case 'and':
        return sql<SqlBool>`(${this.element(scope, node.left)} and ${this.element(scope, node.right)})`;
      case 'or':
        return sql<SqlBool>`(${this.element(scope, node.left)} or ${this.element(scope, node.right)})`;
      case 'not':
        return sql<SqlBool>`((${this.element(scope, node.operand)}) is not true)`;
      case 'present':
        return presence(this.subOf(scope, node.path.attr));
      case 'compare':
        return comparison(this.subOf(scope, node.path.attr), node.op, node.value, `${scope.label}.${node.path.attr}`);
      case 'valuePath':
        return invalid('Value filters cannot be nested');
    }
  }

  private subOf(scope: ElementScope, name: string): { accessor: Accessor; def: AttributeDefinition } {
    return scope.sub(name) ?? invalid(`'${name}' is not a sub-attribute of ${scope.label}`);
  }

  /** JSON arrays are searched with jsonb_array_elements; memberships with a correlated subquery. */
  private elements(resolved: ResolvedPath): ElementScope {
    const attr = resolved.attr;
    const relation = resolved.namespace === null ? this.mapping.relations[attr.name] : undefined;
    const defOf = (name: string) =>
      attr.type === 'complex'
        ? attr.subAttributes?.find((s) => s.name.toLowerCase() === name.toLowerCase())
        : name.toLowerCase() === 'value'
          ? attr
          : undefined;
    if (relation) {
      return {
        label: attr.name,
        sub: (name) => {
          const def = defOf(name);
          const accessor = def && relation.sub[def.name];
          return def && accessor ? { accessor, def } : undefined;
        },
        exists: (condition) =>
          sql<SqlBool>`exists (select 1 from ${relation.from} where ${relation.correlate} and ${condition})`,
      };
    }
    const list = this.json(resolved);
    return {
      label: attr.name,
      sub: (name) => {
        const def = defOf(name);
        if (!def) return undefined;
        const text = attr.type === 'complex' ? sql`scim_el.v->>${sql.lit(def.name)}` : sql`scim_el.v #>> '{}'`;
        return { accessor: { sql: text, kind: 'text' }, def };
      },
      exists: (condition) =>
        sql<SqlBool>`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${list}) = 'array' then ${list} else '[]'::jsonb end) as scim_el(v) where ${condition})`,
    };
  }

  /** For `emails[... value eq "x" ...]`, the same condition phrased so Postgres can use the GIN index first. */
  private withIndexHint(resolved: ResolvedPath, filter: FilterNode, condition: Condition): Condition {
    if (resolved.namespace !== null || !this.mapping.valueIndexed.has(resolved.attr.name)) return condition;
    const value = valueEquality(filter);
    if (value === undefined) return condition;
    return sql<SqlBool>`(scim_lower_values(${this.json(resolved)}) @> array[lower(${value})]::text[] and ${condition})`;
  }

  private json(resolved: ResolvedPath): RawBuilder<unknown> {
    const base = resolved.namespace
      ? sql`${this.mapping.table}.data->${sql.lit(resolved.namespace)}`
      : sql`${this.mapping.table}.data`;
    return sql`${base}->${sql.lit(resolved.attr.name)}`;
  }

  /** A single value: an indexed column when there is one, else text out of the JSON document. */
  private scalar(resolved: ResolvedPath): Accessor {
    if (resolved.namespace === null) {
      const column =
        this.mapping.columns[resolved.sub ? `${resolved.attr.name}.${resolved.sub.name}` : resolved.attr.name];
      if (column) return column;
      if (resolved.attr.name === 'meta') invalid(`'meta.${resolved.sub?.name ?? ''}' can't be filtered on`);
    }
    const node = this.json(resolved);
    return {
      sql: resolved.sub
        ? sql`${node}->>${sql.lit(resolved.sub.name)}`
        : sql`${this.jsonParent(resolved)}->>${sql.lit(resolved.attr.name)}`,
      kind: 'text',
    };
  }

  private jsonParent(resolved: ResolvedPath): RawBuilder<unknown> {
    return resolved.namespace
      ? sql`${this.mapping.table}.data->${sql.lit(resolved.namespace)}`
      : sql`${this.mapping.table}.data`;
  }
}

/** `value eq "x"` at the top of a value filter's `and` chain, if there is one. */
function valueEquality(node: FilterNode): string | undefined {
  if (node.type === 'and') return valueEquality(node.left) ?? valueEquality(node.right);
  if (
    node.type === 'compare' &&
    node.op === 'eq' &&
    node.path.attr.toLowerCase() === 'value' &&
    typeof node.value === 'string'
  )
    return node.value;
  return undefined;
}
