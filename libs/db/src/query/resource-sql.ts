import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { GroupResource, UserResource, type ResourceType } from '@scimflow/scim';

/** How a SCIM value is held in SQL, which decides how it can be compared and sorted. */
export type SqlKind = 'text' | 'uuid' | 'boolean' | 'timestamptz' | 'version' | 'constant';

export interface Accessor {
  readonly sql: RawBuilder<unknown>;
  readonly kind: SqlKind;
}

/** A multi-valued attribute kept as rows (memberships), searched with EXISTS over them. */
export interface RelationSql {
  /** FROM clause of the subquery, with its joins. */
  readonly from: RawBuilder<unknown>;
  /** Ties the subquery's rows to the outer resource row. */
  readonly correlate: RawBuilder<SqlBool>;
  /** Accessors for the element's sub-attributes. */
  readonly sub: Readonly<Record<string, Accessor>>;
}

/** Everything the filter, sort and paging compilers need to know about one resource type's table. */
export interface ResourceSql {
  readonly resource: ResourceType;
  readonly table: RawBuilder<unknown>;
  /** Indexed or generated columns, by canonical attribute path (`userName`, `meta.created`). */
  readonly columns: Readonly<Record<string, Accessor>>;
  readonly relations: Readonly<Record<string, RelationSql>>;
  /** Multi-valued JSON attributes with a GIN index on lower-cased values (migration 0001). */
  readonly valueIndexed: ReadonlySet<string>;
}

const common = (table: string, resourceName: string): Record<string, Accessor> => ({
  id: { sql: sql.raw(`${table}.id`), kind: 'uuid' },
  externalId: { sql: sql.raw(`${table}.external_id`), kind: 'text' },
  'meta.created': { sql: sql.raw(`${table}.created_at`), kind: 'timestamptz' },
  'meta.lastModified': { sql: sql.raw(`${table}.updated_at`), kind: 'timestamptz' },
  'meta.version': { sql: sql.raw(`${table}.version`), kind: 'version' },
  'meta.resourceType': { sql: sql.lit(resourceName), kind: 'constant' },
});

export const UserSql: ResourceSql = {
  resource: UserResource,
  table: sql.raw('users'),
  columns: {
    ...common('users', 'User'),
    userName: { sql: sql.raw('users.user_name'), kind: 'text' },
    active: { sql: sql.raw('users.active'), kind: 'boolean' },
  },
  relations: {
    groups: {
      from: sql.raw(
        'group_members scim_gm join groups scim_g on scim_g.tenant_id = scim_gm.tenant_id and scim_g.id = scim_gm.group_id',
      ),
      correlate: sql.raw<SqlBool>('scim_gm.tenant_id = users.tenant_id and scim_gm.user_id = users.id'),
      sub: {
        value: { sql: sql.raw('scim_gm.group_id'), kind: 'uuid' },
        display: { sql: sql.raw('scim_g.display_name'), kind: 'text' },
        type: { sql: sql.lit('direct'), kind: 'constant' },
      },
    },
  },
  valueIndexed: new Set(['emails']),
};

/** A member's display name: a user's displayName, else its userName; a group's displayName. */
export const MEMBER_DISPLAY = sql.raw(
  "coalesce(scim_mu.data->>'displayName', scim_mu.user_name, scim_mg.display_name)",
);
export const MEMBER_TYPE = sql.raw("case when scim_m.user_id is not null then 'User' else 'Group' end");
export const MEMBER_JOINS = sql.raw(
  'group_members scim_m left join users scim_mu on scim_mu.tenant_id = scim_m.tenant_id and scim_mu.id = scim_m.user_id ' +
    'left join groups scim_mg on scim_mg.tenant_id = scim_m.tenant_id and scim_mg.id = scim_m.member_group_id',
);

export const GroupSql: ResourceSql = {
  resource: GroupResource,
  table: sql.raw('groups'),
  columns: {
    ...common('groups', 'Group'),
    displayName: { sql: sql.raw('groups.display_name'), kind: 'text' },
  },
  relations: {
    members: {
      from: MEMBER_JOINS,
      correlate: sql.raw<SqlBool>('scim_m.tenant_id = groups.tenant_id and scim_m.group_id = groups.id'),
      sub: {
        value: { sql: sql.raw('scim_m.member_id'), kind: 'uuid' },
        type: { sql: MEMBER_TYPE, kind: 'text' },
        display: { sql: MEMBER_DISPLAY, kind: 'text' },
      },
    },
  },
  valueIndexed: new Set(),
};

export function sqlFor(resource: ResourceType): ResourceSql {
  return resource.name === 'User' ? UserSql : GroupSql;
}
