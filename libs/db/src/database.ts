import type { ColumnType, Generated, GeneratedAlways, Kysely, Transaction } from 'kysely';
import type { JsonObject, ScimDocument } from '@scimflow/scim';
import type { FailureRecord, OutcomeSummary, RecordedEvent } from '@scimflow/jobs';

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
  /** Set while the tenant is disabled: its SCIM requests are answered 403. */
  disabled_at: Date | null;
  /** When its token last authenticated a request, to the minute. */
  token_last_used_at: Date | null;
  /** The token before the last rotation, valid until previous_token_expires_at (a grace period). */
  previous_token_hash: Buffer | null;
  previous_token_expires_at: Date | null;
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
  outcome: Jsonb<OutcomeSummary>;
  applied_at: Generated<Date>;
}

export type LogOutcome = 'success' | 'failure';

export interface ProvisioningLogTable {
  tenant_id: string;
  id: string;
  at: Generated<Date>;
  operation: string;
  resource_type: string;
  resource_id: string | null;
  resource_name: string | null;
  external_id: string | null;
  outcome: LogOutcome;
  http_status: number;
  scim_type: string | null;
  detail: string | null;
  duration_ms: number | null;
  trace_id: string | null;
  command_id: string | null;
  request_id: string | null;
}

export type OutboxKind = 'event' | 'failure';

/** An outbox row's payload: a membership event, or a failure record for the notifier (by `kind`). */
export type OutboxPayload = RecordedEvent | FailureRecord;

export interface OutboxTable {
  id: string;
  position: GeneratedAlways<string>;
  tenant_id: string;
  kind: OutboxKind;
  payload: Jsonb<OutboxPayload>;
  created_at: Generated<Date>;
  /** bigint: pg returns it as a string. */
  sequence: ColumnType<string | null, never, string | null>;
  relayed_at: Date | null;
}

export interface TenantEventCounterTable {
  tenant_id: string;
  last_sequence: ColumnType<string, string | number, string | number>;
}

export interface WebhookTable {
  tenant_id: string;
  id: string;
  url: string;
  secret: string;
  created_at: Generated<Date>;
  delivered_sequence: ColumnType<string, string | number, string | number>;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  last_error: string | null;
  last_delivered_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
}

export interface WebhookDeadLetterTable {
  tenant_id: string;
  webhook_id: string;
  sequence: ColumnType<string, string | number, string | number>;
  event_id: string;
  attempts: number;
  last_error: string | null;
  dead_at: Generated<Date>;
}

export type DigestStatus = 'open' | 'closed' | 'sent' | 'skipped';

export interface NotificationDigestTable {
  id: string;
  tenant_id: string;
  status: DigestStatus;
  window_start: Date;
  due_at: Date;
  failure_count: number | null;
  recipients: string[] | null;
  attempts: Generated<number>;
  last_error: string | null;
  message_id: string | null;
  sent_at: Date | null;
}

export interface NotificationFailureTable {
  id: string;
  tenant_id: string;
  digest_id: string;
  at: Date;
  payload: Jsonb<FailureRecord>;
}

export interface Database {
  tenants: TenantTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  applied_commands: AppliedCommandTable;
  provisioning_log: ProvisioningLogTable;
  outbox: OutboxTable;
  tenant_event_counters: TenantEventCounterTable;
  webhooks: WebhookTable;
  webhook_dead_letters: WebhookDeadLetterTable;
  notification_digests: NotificationDigestTable;
  notification_failures: NotificationFailureTable;
}

/** What repositories take: the database, or a transaction on it (Kysely's example app). */
export type Executor = Kysely<Database> | Transaction<Database>;

/** A transaction: repositories that must run inside one (row locks, the batch's writes) take this. */
export type Trx = Transaction<Database>;
