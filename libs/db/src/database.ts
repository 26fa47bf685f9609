import type { ColumnType, Generated, GeneratedAlways } from 'kysely';
import type { JsonObject, ScimDocument } from '@scimflow/scim';

/** JSONB written as a JSON string (pg would turn a JS array into a Postgres array) and read back parsed. */
type Jsonb<T> = ColumnType<T, string, string>;

export interface TenantTable {
  id: string;
  name: string;
  /** SHA-256 of the SCIM bearer token; the token itself is never stored. */
  token_hash: Buffer;
  token_rotated_at: Generated<Date>;
  settings: ColumnType<JsonObject, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface UserTable {
  tenant_id: string;
  id: string;
  data: Jsonb<ScimDocument>;
  /** Generated from `data` so the indexed copies can never disagree with the document. */
  user_name: GeneratedAlways<string>;
  external_id: GeneratedAlways<string | null>;
  active: GeneratedAlways<boolean>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GroupTable {
  tenant_id: string;
  id: string;
  data: Jsonb<ScimDocument>;
  display_name: GeneratedAlways<string>;
  external_id: GeneratedAlways<string | null>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** One membership; exactly one of user_id / member_group_id is set, member_id is whichever it is. */
export interface GroupMemberTable {
  tenant_id: string;
  group_id: string;
  user_id: string | null;
  member_group_id: string | null;
  member_id: GeneratedAlways<string>;
  created_at: Generated<Date>;
}

export interface AppliedCommandTable {
  command_id: string;
  tenant_id: string;
  outcome: Jsonb<JsonObject>;
  applied_at: Generated<Date>;
}

export interface Database {
  tenants: TenantTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  applied_commands: AppliedCommandTable;
}
