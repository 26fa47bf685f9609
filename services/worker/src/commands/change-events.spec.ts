import { MemberChanges } from './change-events';

const user = (id: string) => ({ id, type: 'User' as const });

describe('MemberChanges', () => {
  it('keeps the net change of several operations of one PATCH', () => {
    const changes = new MemberChanges();
    changes.add([user('a'), user('b')]);
    changes.remove([user('a')]); // added, then removed: never visible outside the transaction
    changes.remove([user('c')]);
    changes.add([user('c')]); // removed, then added back: still a member, nothing happened
    changes.remove([user('d')]);
    expect(changes.added()).toEqual([user('b')]);
    expect(changes.removed()).toEqual([user('d')]);
    expect(changes.size).toBe(2);
  });

  it('is empty when nothing changed', () => {
    const changes = new MemberChanges();
    changes.add([]);
    expect(changes.size).toBe(0);
    expect(changes.added()).toEqual([]);
  });
});
