import { EventUri, formatVersion, type JsonObject, type ScimDocument } from '@scimflow/scim';

// Membership events, shaped as SCIM Security Event Tokens (RFC 9967 over RFC 8417), sent as
// plain JSON (unsigned: webhooks carry an HMAC instead). One event URI (EventUri) per token.

export type ResourceKind = 'User' | 'Group';

/** RFC 9967 §2.1: the subject, by SCIM path, plus identifiers both sides know. */
export interface SubjectId {
  readonly format: 'scim';
  readonly uri: string;
  readonly externalId?: string;
  readonly userName?: string;
}

/** An event as recorded in the outbox; the relay adds `iss` and the tenant's `sequence`. */
export interface RecordedEvent {
  /** Unique token id: the outbox id, the events-queue job id, the webhook's X-Scimflow-Event-Id. */
  readonly jti: string;
  /** The service's public URL. */
  readonly iss: string;
  readonly iat: number;
  /** The SCIM request (command) that caused it; several events can share one. */
  readonly txn: string;
  readonly tenant: string;
  readonly sub_id: SubjectId;
  readonly events: Readonly<Record<string, JsonObject>>;
}

/** What consumers receive (webhook body, poll item, events-queue job data). */
export interface PublishedEvent extends RecordedEvent {
  /** Per tenant, strictly increasing, gap-free while events are retained. */
  readonly sequence: number;
}

/** A stored event as consumers receive it: the webhook body, the poll item, a replayed dead letter. */
export function publishedEvent(stored: { readonly payload: RecordedEvent; readonly sequence: number }): PublishedEvent {
  return { ...stored.payload, sequence: stored.sequence };
}

/** Membership add/remove events carry at most this many members each; bigger changes are split. */
export const MEMBERS_PER_EVENT = 1000;

export interface EventSource {
  readonly issuer: string;
  readonly tenantId: string;
  readonly txn: string;
  readonly newId: () => string;
  readonly now: number;
}

export interface ResourceRef {
  readonly type: ResourceKind;
  readonly id: string;
  readonly data?: ScimDocument;
}

const PATH: Record<ResourceKind, string> = { User: 'Users', Group: 'Groups' };

export function subjectOf(ref: ResourceRef): SubjectId {
  const externalId = ref.data?.externalId;
  const userName = ref.type === 'User' ? ref.data?.userName : undefined;
  return {
    format: 'scim',
    uri: `/${PATH[ref.type]}/${ref.id}`,
    ...(typeof externalId === 'string' ? { externalId } : {}),
    ...(typeof userName === 'string' ? { userName } : {}),
  };
}

function event(source: EventSource, ref: ResourceRef, uri: string, payload: JsonObject): RecordedEvent {
  return {
    jti: source.newId(),
    iss: source.issuer,
    iat: Math.floor(source.now / 1000),
    txn: source.txn,
    tenant: source.tenantId,
    sub_id: subjectOf(ref),
    events: { [uri]: payload },
  };
}

/** A user or group was created: the notice lists the attributes it was created with. */
export function createdEvent(source: EventSource, ref: ResourceRef & { data: ScimDocument }): RecordedEvent {
  const attributes = ['id', ...Object.keys(ref.data).filter((name) => name !== 'schemas')];
  return event(source, ref, EventUri.created, { attributes });
}

export function deletedEvent(source: EventSource, ref: ResourceRef): RecordedEvent {
  return event(source, ref, EventUri.deleted, {});
}

export function activationEvent(source: EventSource, ref: ResourceRef, active: boolean): RecordedEvent {
  return event(source, ref, active ? EventUri.activated : EventUri.deactivated, {});
}

function patchEvent(source: EventSource, group: ResourceRef, version: number, operations: JsonObject[]): RecordedEvent {
  return event(source, group, EventUri.patched, {
    version: formatVersion(version),
    data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations },
  });
}

export function renamedEvent(
  source: EventSource,
  group: ResourceRef,
  version: number,
  displayName: string,
): RecordedEvent {
  return patchEvent(source, group, version, [{ op: 'replace', path: 'displayName', value: displayName }]);
}

/** Members added to or removed from a group, split into events of at most MEMBERS_PER_EVENT. */
export function membershipEvents(
  source: EventSource,
  group: ResourceRef,
  version: number,
  op: 'add' | 'remove',
  members: readonly { readonly id: string; readonly type: ResourceKind }[],
): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let start = 0; start < members.length; start += MEMBERS_PER_EVENT) {
    const value = members
      .slice(start, start + MEMBERS_PER_EVENT)
      .map((member) => ({ value: member.id, type: member.type, $ref: `/${PATH[member.type]}/${member.id}` }));
    events.push(patchEvent(source, group, version, [{ op, path: 'members', value }]));
  }
  return events;
}
