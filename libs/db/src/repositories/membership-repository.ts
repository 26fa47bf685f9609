import { sql, type RawBuilder } from 'kysely';
import type { JsonValue } from '@scimflow/scim';
import type { Executor } from '../database';
import type { Condition } from '../query/filter-sql';
import { MEMBER_DISPLAY, MEMBER_JOINS, MEMBER_TYPE } from '../query/resource-sql';

export type MemberType = 'User' | 'Group';

export interface MemberRef {
  readonly id: string;
  readonly type: MemberType;
}

export interface MemberRow {
  readonly id: string;
  readonly type: MemberType;
  readonly display: string | null;
}

/** Which of these ids are users or groups of the tenant; ids not in the result don't exist there. */
export async function resolveMembers(
  db: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, MemberType>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; type: MemberType }>`${membersAmong(tenantId, ids)}`.execute(db);
  return new Map(rows.map((row) => [row.id, row.type]));
}

/** The users and groups of the tenant among these ids, with their type: `(id, type)` rows. */
function membersAmong(tenantId: string, ids: readonly string[]) {
  return sql`
    select id, 'User' as type from users where tenant_id = ${tenantId} and id = any(${ids}::uuid[])
    union all
    select id, 'Group' as type from groups where tenant_id = ${tenantId} and id = any(${ids}::uuid[])`;
}

/** The changed member of each inserted or deleted membership row. */
const CHANGED = sql`coalesce(user_id, member_group_id) as id, case when user_id is not null then 'User' else 'Group' end as type`;

/** Adds memberships; ones that exist already are left alone. Returns the members that were new. */
export async function addMembers(
  trx: Executor,
  tenantId: string,
  groupId: string,
  members: readonly MemberRef[],
): Promise<MemberRef[]> {
  if (members.length === 0) return [];
  const { rows } = await sql<MemberRef>`
    insert into group_members (tenant_id, group_id, user_id, member_group_id)
    select ${tenantId}::uuid, ${groupId}::uuid,
      case when m.type = 'User' then m.id end, case when m.type = 'Group' then m.id end
    from unnest(${members.map((m) => m.id)}::uuid[], ${members.map((m) => m.type)}::text[]) as m(id, type)
    on conflict do nothing
    returning ${CHANGED}`.execute(trx);
  return rows;
}

/** What `addFoundMembers` saw: each id that is a user or group of the tenant, and the memberships it created. */
export interface FoundMembers {
  readonly found: Map<string, MemberType>;
  readonly added: MemberRef[];
  /** The group's new version, when it was asked to bump it and a membership was added. */
  readonly bumped?: { readonly version: number; readonly lastModified: string };
}

/**
 * Adds those of these ids that are users or groups of the tenant, in the one round trip that
 * resolves them (a PATCH adding members is most of a sync's group writes) and, with `bumpGroup`,
 * gives the group its new version when a membership was added. The caller refuses the command —
 * rolling this back — when an id was not found; the group itself is never added.
 */
export async function addFoundMembers(
  trx: Executor,
  tenantId: string,
  groupId: string,
  ids: readonly string[],
  bumpGroup: boolean,
): Promise<FoundMembers> {
  // Its own statement, not addFoundMembersOfGroups for one group: that one's three-column joins of
  // CTEs plan as nested loops, and a 10,000-member PATCH took 4.5 s instead of 0.3 (bench, 2172e69).
  if (ids.length === 0) return { found: new Map(), added: [] };
  const { rows } = await sql<MemberRef & { added: boolean; version: number | null; updated_at: Date | null }>`
    with found as (${membersAmong(tenantId, ids)}), added as (
      insert into group_members (tenant_id, group_id, user_id, member_group_id)
      select ${tenantId}::uuid, ${groupId}::uuid,
        case when type = 'User' then id end, case when type = 'Group' then id end
      from found where id <> ${groupId}::uuid
      on conflict do nothing
      returning coalesce(user_id, member_group_id) as id
    ), bumped as (
      update groups set version = version + 1, updated_at = now()
      where ${bumpGroup}::boolean and tenant_id = ${tenantId} and id = ${groupId}::uuid and exists (select 1 from added)
      returning version, updated_at
    )
    select found.id, found.type, added.id is not null as added, bumped.version, bumped.updated_at
    from found left join added on added.id = found.id left join bumped on true`.execute(trx);
  // Every row carries the one bumped row (a cross join), or nulls.
  return foundMembersOf(rows);
}

/** Members to add to one group: the ids it names (distinct), for `addFoundMembersOfGroups`. */
export interface MemberAddition {
  readonly tenantId: string;
  readonly groupId: string;
  readonly ids: readonly string[];
}

/**
 * `addFoundMembers` for several groups in one round trip: a batch of PATCHes that only add members
 * (a sync's group phase) pays one statement instead of one each. The groups must be distinct (each
 * gets at most one new version) and locked by the caller; results are in the order of `additions`.
 */
export async function addFoundMembersOfGroups(
  trx: Executor,
  additions: readonly MemberAddition[],
  bumpGroups = true,
): Promise<FoundMembers[]> {
  const wanted = additions.flatMap((addition, n) => addition.ids.map((id) => ({ n, addition, id })));
  if (wanted.length === 0) return additions.map(() => ({ found: new Map(), added: [] }));
  const { rows } = await sql<
    MemberRef & { n: number; added: boolean; version: number | null; updated_at: Date | null }
  >`
    with wanted as (
      select * from rows from (unnest(${wanted.map((w) => w.n)}::int[]), unnest(${wanted.map((w) => w.addition.tenantId)}::uuid[]),
        unnest(${wanted.map((w) => w.addition.groupId)}::uuid[]), unnest(${wanted.map((w) => w.id)}::uuid[])) as w(n, tenant_id, group_id, id)
    ), found as (
      select w.n, w.tenant_id, w.group_id, w.id, 'User' as type from wanted w join users u on u.tenant_id = w.tenant_id and u.id = w.id
      union all
      select w.n, w.tenant_id, w.group_id, w.id, 'Group' as type from wanted w join groups g on g.tenant_id = w.tenant_id and g.id = w.id
    ), added as (
      insert into group_members (tenant_id, group_id, user_id, member_group_id)
      select tenant_id, group_id, case when type = 'User' then id end, case when type = 'Group' then id end
      from found where id <> group_id
      on conflict do nothing
      returning tenant_id, group_id, coalesce(user_id, member_group_id) as id
    ), bumped as (
      update groups g set version = g.version + 1, updated_at = now()
      from (select distinct tenant_id, group_id from added) a
      where ${bumpGroups}::boolean and g.tenant_id = a.tenant_id and g.id = a.group_id
      returning g.tenant_id, g.id, g.version, g.updated_at
    )
    select found.n, found.id, found.type, added.id is not null as added, bumped.version, bumped.updated_at
    from found
    left join added on added.tenant_id = found.tenant_id and added.group_id = found.group_id and added.id = found.id
    left join bumped on bumped.tenant_id = found.tenant_id and bumped.id = found.group_id`.execute(trx);
  const byAddition = additions.map((): typeof rows => []);
  for (const row of rows) byAddition[row.n]?.push(row);
  // Every row of an addition carries its group's bumped row (a join on the group), or nulls.
  return byAddition.map((mine) => foundMembersOf(mine));
}

/** The group's new version, which every row of a membership statement carries (a cross join), or nulls. */
function bumpedOf(rows: readonly { version: number | null; updated_at: Date | null }[]) {
  const [first] = rows;
  return first && first.version !== null && first.updated_at !== null
    ? { version: first.version, lastModified: first.updated_at.toISOString() }
    : undefined;
}

/** One group's rows of an add-members statement. */
function foundMembersOf(
  rows: readonly (MemberRef & { added: boolean; version: number | null; updated_at: Date | null })[],
): FoundMembers {
  const bumped = bumpedOf(rows);
  return {
    found: new Map(rows.map((row) => [row.id, row.type])),
    added: rows.filter((row) => row.added).map(({ id, type }) => ({ id, type })),
    ...(bumped ? { bumped } : {}),
  };
}

/** The memberships a removal deleted, and the group's new version when it was asked to bump it and removed any. */
export interface RemovedMembers {
  readonly removed: MemberRef[];
  readonly bumped?: { readonly version: number; readonly lastModified: string };
}

/**
 * Removes these members. With `bumpGroup` (a PATCH whose one operation removes members) the same
 * statement gives the group its new version when a membership went: one round trip, not two.
 */
export async function removeMembers(
  trx: Executor,
  tenantId: string,
  groupId: string,
  ids: readonly string[],
  bumpGroup = false,
): Promise<RemovedMembers> {
  if (ids.length === 0) return { removed: [] };
  return deleteMembers(
    trx,
    tenantId,
    groupId,
    sql`delete from group_members where tenant_id = ${tenantId} and group_id = ${groupId} and member_id = any(${ids}::uuid[])`,
    bumpGroup,
  );
}

/** Removes the members matching a compiled value filter (`members[type eq "Group"]`), or all of them; `bumpGroup` as for removeMembers. */
export async function removeMembersWhere(
  trx: Executor,
  tenantId: string,
  groupId: string,
  condition?: Condition,
  bumpGroup = false,
): Promise<RemovedMembers> {
  const matching = condition ? sql` and ${condition}` : sql``;
  return deleteMembers(
    trx,
    tenantId,
    groupId,
    sql`delete from group_members where tenant_id = ${tenantId} and group_id = ${groupId} and member_id in (
      select scim_m.member_id from ${MEMBER_JOINS} where scim_m.tenant_id = ${tenantId} and scim_m.group_id = ${groupId}${matching})`,
    bumpGroup,
  );
}

async function deleteMembers(
  trx: Executor,
  tenantId: string,
  groupId: string,
  deletion: RawBuilder<unknown>,
  bumpGroup: boolean,
): Promise<RemovedMembers> {
  const { rows } = await sql<MemberRef & { version: number | null; updated_at: Date | null }>`
    with removed as (${deletion} returning ${CHANGED}), bumped as (
      update groups set version = version + 1, updated_at = now()
      where ${bumpGroup}::boolean and tenant_id = ${tenantId} and id = ${groupId}::uuid and exists (select 1 from removed)
      returning version, updated_at
    )
    select removed.id, removed.type, bumped.version, bumped.updated_at from removed left join bumped on true`.execute(
    trx,
  );
  const bumped = bumpedOf(rows);
  return { removed: rows.map(({ id, type }) => ({ id, type })), ...(bumped ? { bumped } : {}) };
}

export interface MemberDelta {
  readonly added: MemberRef[];
  readonly removed: MemberRef[];
}

/** Makes the member list exactly `members` with two deltas. */
export async function replaceMembers(
  trx: Executor,
  tenantId: string,
  groupId: string,
  members: readonly MemberRef[],
): Promise<MemberDelta> {
  const { rows: removed } = await sql<MemberRef>`
    delete from group_members where tenant_id = ${tenantId} and group_id = ${groupId}
    and member_id <> all(${members.map((m) => m.id)}::uuid[])
    returning ${CHANGED}`.execute(trx);
  return { removed, added: await addMembers(trx, tenantId, groupId, members) };
}

/** The groups a user or group belongs to (directly). */
export async function groupsContaining(
  db: Executor,
  tenantId: string,
  memberIds: readonly string[],
): Promise<string[]> {
  if (memberIds.length === 0) return [];
  const { rows } = await sql<{ group_id: string }>`
    select distinct group_id from group_members where tenant_id = ${tenantId} and member_id = any(${memberIds}::uuid[])`.execute(
    db,
  );
  return rows.map((row) => row.group_id);
}

/** Each user's groups as [{value, display, type}], for rendering users right after a write. */
export async function groupsOfUsers(
  db: Executor,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, JsonValue[]>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await sql<{ user_id: string; groups: JsonValue[] }>`
    select scim_gm.user_id, jsonb_agg(jsonb_build_object('value', scim_g.id, 'display', scim_g.display_name, 'type', 'direct') order by scim_g.id) as groups
    from group_members scim_gm join groups scim_g on scim_g.tenant_id = scim_gm.tenant_id and scim_g.id = scim_gm.group_id
    where scim_gm.tenant_id = ${tenantId} and scim_gm.user_id = any(${userIds}::uuid[])
    group by scim_gm.user_id`.execute(db);
  return new Map(rows.map((row) => [row.user_id, row.groups]));
}

/** One slice of a group's members in id order, starting after `after`: memory stays bounded however large the group. */
export async function memberSlice(
  db: Executor,
  tenantId: string,
  groupId: string,
  after: string | undefined,
  limit: number,
): Promise<MemberRow[]> {
  const from = after ? sql` and scim_m.member_id > ${after}::uuid` : sql``;
  const { rows } = await sql<MemberRow>`
    select scim_m.member_id as id, ${MEMBER_TYPE} as type, ${MEMBER_DISPLAY} as display from ${MEMBER_JOINS}
    where scim_m.tenant_id = ${tenantId} and scim_m.group_id = ${groupId}${from}
    order by scim_m.member_id limit ${limit}`.execute(db);
  return rows;
}
