import type { PatchOperation, ScimDocument, ScimErrorData, StoredResource } from '@scimflow/scim';

/** What a failure notification is made of: the provisioning-log line's facts (same id), nothing more. */
export interface FailureRecord {
  readonly id: string;
  readonly tenantId: string;
  /** ISO time of the failure. */
  readonly at: string;
  readonly operation: string;
  readonly resourceType: string;
  readonly resourceId?: string;
  readonly resourceName?: string;
  readonly status: number;
  readonly scimType?: string;
  readonly detail?: string;
}

/** Every queue scimflow uses. */
export const QueueName = {
  /** Batches of SCIM writes, applied by the worker; the ingress waits for each command's outcome. */
  commands: 'commands',
  /** Housekeeping the worker schedules for itself. */
  maintenance: 'maintenance',
  /** Delayed retries of webhook deliveries. */
  webhooks: 'webhooks',
  /** Failure records for the notifier, and its digest jobs. */
  notifications: 'notifications',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** RFC 7644 §3.14: `If-Match` value the resource's current version must equal. */
type Precondition = { readonly ifMatch?: string };

/** A group member as the client named it; the worker checks it exists in the tenant. */
export interface MemberInput {
  readonly value: string;
  readonly type?: string;
}

/** One map from SCIM command to its payload, shared by the ingress (producer) and the worker. */
export interface CommandMap {
  'user.create': { readonly userId: string; readonly data: ScimDocument };
  'user.replace': Precondition & { readonly userId: string; readonly data: ScimDocument };
  'user.patch': Precondition & { readonly userId: string; readonly operations: readonly PatchOperation[] };
  'user.delete': Precondition & { readonly userId: string };
  /** `data` never holds members: they are rows, sent as `members`. */
  'group.create': { readonly groupId: string; readonly data: ScimDocument; readonly members: readonly MemberInput[] };
  'group.replace': Precondition & {
    readonly groupId: string;
    readonly data: ScimDocument;
    readonly members: readonly MemberInput[];
  };
  'group.patch': Precondition & {
    readonly groupId: string;
    readonly operations: readonly PatchOperation[];
    /** The client asked for attributes: answer 200 with the group (RFC 7644 §3.5.2), else 204. */
    readonly returnResource?: boolean;
  };
  'group.delete': Precondition & { readonly groupId: string };
}
export type CommandName = keyof CommandMap;

/** Which kind of resource each command changes, and how (the provisioning log's `operation`). */
export const COMMAND_KIND = {
  'user.create': { resourceType: 'User', operation: 'create' },
  'user.replace': { resourceType: 'User', operation: 'replace' },
  'user.patch': { resourceType: 'User', operation: 'patch' },
  'user.delete': { resourceType: 'User', operation: 'delete' },
  'group.create': { resourceType: 'Group', operation: 'create' },
  'group.replace': { resourceType: 'Group', operation: 'replace' },
  'group.patch': { resourceType: 'Group', operation: 'patch' },
  'group.delete': { resourceType: 'Group', operation: 'delete' },
} as const satisfies Record<
  CommandName,
  { resourceType: 'User' | 'Group'; operation: 'create' | 'replace' | 'patch' | 'delete' }
>;

/** A command as it travels: its own id (the idempotency key), tenant and trace context. */
export type Command = {
  [N in CommandName]: {
    readonly id: string;
    readonly name: N;
    readonly tenantId: string;
    readonly data: CommandMap[N];
    /** W3C traceparent of the SCIM request that issued it. */
    readonly traceparent?: string;
    /** The SCIM request's X-Request-Id, for the provisioning log. */
    readonly requestId?: string;
    /** Epoch ms the ingress received the request: the provisioning log's duration starts here. */
    readonly receivedAt?: number;
  };
}[CommandName];
export type CommandOf<N extends CommandName> = Extract<Command, { name: N }>;

/** What a producer asks for: a command name with that command's payload. */
export type CommandRequest = { [N in CommandName]: { readonly name: N; readonly data: CommandMap[N] } }[CommandName];

/**
 * Every job name and its payload (`JobOf<Name>`). The ingress sends the commands that arrive
 * together as one job: BullMQ's per-job cost is paid once per batch, not once per request.
 */
export interface JobMap {
  'commands.apply': {
    /** Pub/sub channel of the ingress instance waiting for the outcomes. */
    readonly replyTo: string;
    /** Epoch ms after which the ingress has answered 503; commands not applied by then are dropped. */
    readonly deadline: number;
    readonly commands: readonly Command[];
  };
  'maintenance.prune-applied-commands': { readonly olderThanMs: number };
  /** Provisioning log and event log past each tenant's retention. */
  'maintenance.prune-logs': Record<string, never>;
  /** Starts delivery for endpoints with undelivered events that nobody is delivering (a lost trigger, an expired lease). */
  'maintenance.sweep-webhooks': Record<string, never>;
  'webhook.retry': { readonly tenantId: string; readonly webhookId: string };
  /** Failure records committed since the last batch (a redelivered batch is filed again harmlessly). */
  'failures.recorded': { readonly failures: readonly FailureRecord[] };
  'digest.send': { readonly digestId: string };
  /** Re-enqueues digests whose send job was lost. */
  'digest.sweep': Record<string, never>;
}
export type JobName = keyof JobMap;
export type JobOf<N extends JobName> = { readonly name: N; readonly data: JobMap[N] };

/** What a committed write transaction left for the event side of the worker. */
export interface CommittedWrite {
  /** Tenants that got membership events. */
  readonly eventTenants: readonly string[];
  /** Whether failure records were written (for the notifier). */
  readonly failures: boolean;
}

/** What the worker did with one command. */
export type CommandOutcome =
  | { readonly ok: true; readonly status: 200 | 201 | 204; readonly resource?: StoredResource }
  | {
      readonly ok: false;
      readonly error: ScimErrorData;
      /**
       * On a 503: the command is known not to have been applied (its transaction rolled back, or
       * no attempt reached COMMIT), so the ingress can say so without looking it up.
       */
      readonly unapplied?: true;
    };

/** What applied_commands keeps of an outcome: enough to answer a replay, not the whole resource. */
export type OutcomeSummary =
  | { readonly ok: true; readonly status: 200 | 201 | 204; readonly resourceId?: string }
  | { readonly ok: false; readonly error: ScimErrorData };

/** A `commands.apply` job's return value: one outcome per command, in order. */
export type CommandBatchResult = readonly CommandOutcome[];
