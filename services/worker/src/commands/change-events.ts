import { uuidv7, type MemberRef } from '@scimflow/db';
import {
  activationEvent,
  createdEvent,
  deletedEvent,
  membershipEvents,
  renamedEvent,
  type Command,
  type RecordedEvent,
  type ResourceKind,
} from '@scimflow/jobs';
import type { ScimDocument, StoredResource } from '@scimflow/scim';
import type { CommandContext } from './command-context';

/**
 * The membership events of one command, collected while it runs and written to the outbox by
 * the same transaction (so a rolled-back change emits nothing).
 */
export class ChangeEvents {
  private readonly source;

  constructor(
    private readonly ctx: CommandContext,
    command: Command,
  ) {
    this.source = {
      issuer: ctx.issuer,
      tenantId: command.tenantId,
      txn: command.id,
      newId: () => uuidv7(),
      now: ctx.now,
    };
  }

  private push(...events: RecordedEvent[]): void {
    this.ctx.events.push(...events);
  }

  created(type: ResourceKind, resource: StoredResource): void {
    this.push(createdEvent(this.source, { type, id: resource.id, data: resource.data }));
    if (type === 'User' && isActive(resource.data) === false)
      this.push(activationEvent(this.source, { type, id: resource.id, data: resource.data }, false));
  }

  deleted(type: ResourceKind, id: string, data: ScimDocument): void {
    this.push(deletedEvent(this.source, { type, id, data }));
  }

  /** A user's `active` flipped (absent means active, as in the users.active column). */
  userUpdated(before: StoredResource, after: StoredResource): void {
    const was = isActive(before.data) ?? true;
    const is = isActive(after.data) ?? true;
    if (was !== is) this.push(activationEvent(this.source, { type: 'User', id: after.id, data: after.data }, is));
  }

  groupUpdated(before: StoredResource, after: StoredResource, delta: MemberChanges): void {
    const name = after.data.displayName;
    if (typeof name === 'string' && name !== before.data.displayName)
      this.push(renamedEvent(this.source, { type: 'Group', id: after.id, data: after.data }, after.version, name));
    this.members(after, delta.added(), delta.removed());
  }

  members(group: StoredResource, added: readonly MemberRef[], removed: readonly MemberRef[]): void {
    const ref = { type: 'Group' as const, id: group.id, data: group.data };
    this.push(
      ...membershipEvents(this.source, ref, group.version, 'remove', removed),
      ...membershipEvents(this.source, ref, group.version, 'add', added),
    );
  }
}

function isActive(data: ScimDocument): boolean | undefined {
  return typeof data.active === 'boolean' ? data.active : undefined;
}

/**
 * Net membership changes over several operations of one PATCH: a member added and then removed
 * again was never there as far as anyone outside the transaction can tell.
 */
export class MemberChanges {
  private readonly state = new Map<string, { ref: MemberRef; change: 'added' | 'removed' }>();

  add(refs: readonly MemberRef[]): void {
    for (const ref of refs) this.flip(ref, 'added');
  }

  remove(refs: readonly MemberRef[]): void {
    for (const ref of refs) this.flip(ref, 'removed');
  }

  get size(): number {
    return this.state.size;
  }

  added(): MemberRef[] {
    return [...this.state.values()].filter((entry) => entry.change === 'added').map((entry) => entry.ref);
  }

  removed(): MemberRef[] {
    return [...this.state.values()].filter((entry) => entry.change === 'removed').map((entry) => entry.ref);
  }

  private flip(ref: MemberRef, change: 'added' | 'removed'): void {
    const current = this.state.get(ref.id);
    if (current && current.change !== change) this.state.delete(ref.id);
    else this.state.set(ref.id, { ref, change });
  }
}
