import { HOLD_MS, PlacesAhead } from './places-ahead';

describe('places ahead', () => {
  const budget = { burst: 200, inFlightLimit: 64 };
  // What places were granted under is, here, just the tenant's id.
  const given: { tenantId: string; ids: readonly string[] }[] = [];
  const places = () => new PlacesAhead<string>((tenantId, ids) => given.push({ tenantId, ids }));
  /** `count` writes of tenant `t` one after another, spread over one hold window starting at `at`. */
  const steady = (ahead: PlacesAhead<string>, count: number, at: number) => {
    for (let n = 0; n < count; n++) {
      ahead.admitted('t', at + (n * (HOLD_MS - 1)) / count);
      ahead.answered('t');
    }
  };

  /** Asks as an ingress does: how many ahead, then the answer (none granted, here). */
  const ask = (ahead: PlacesAhead<string>, limits: typeof budget, now: number) => {
    const wanted = ahead.startAsk('t', limits, now);
    ahead.keep('t', 'budget', 't', [], now);
    return wanted;
  };

  afterEach(() => {
    given.length = 0;
  });

  it('takes none for a tenant that writes now and then', () => {
    const ahead = places();
    expect(ask(ahead, budget, 0)).toBe(0);
    ahead.admitted('t', 0);
    expect(ask(ahead, budget, HOLD_MS + 1)).toBe(0);
    // Quiet for a whole window: what came before no longer counts.
    steady(ahead, 20, 1_000);
    expect(ask(ahead, budget, 1_000 + 3 * HOLD_MS)).toBe(0);
  });

  it('follows the pace of the last window, capped by the budget', () => {
    const ahead = places();
    steady(ahead, 4, 0);
    expect(ask(ahead, budget, HOLD_MS)).toBe(3);
    steady(ahead, 50, HOLD_MS);
    expect(ask(ahead, budget, 2 * HOLD_MS)).toBe(8);
    // Places ahead stay a small share of a budget, and small budgets take none: their counts are exact.
    expect(ask(ahead, { burst: 16, inFlightLimit: 64 }, 2 * HOLD_MS)).toBe(2);
    expect(ask(ahead, { burst: 200, inFlightLimit: 7 }, 2 * HOLD_MS)).toBe(0);
    // A raised budget (a sync an operator let run) takes up to 64: its writes skip most round trips.
    steady(ahead, 200, 2 * HOLD_MS);
    expect(ask(ahead, { burst: 100_000, inFlightLimit: 100_000 }, 3 * HOLD_MS)).toBe(64);
  });

  it("takes none while many of the tenant's writes are in progress here: they would crowd its in-flight limit", () => {
    const ahead = places();
    steady(ahead, 50, 0);
    for (let n = 0; n < 12; n++) ahead.admitted('t', HOLD_MS);
    // A quarter of 64 in flight at most, counting this write and the places ahead.
    expect(ask(ahead, budget, HOLD_MS + 1)).toBe(3);
    ahead.admitted('t', HOLD_MS + 2);
    ahead.admitted('t', HOLD_MS + 3);
    ahead.admitted('t', HOLD_MS + 4);
    expect(ask(ahead, budget, HOLD_MS + 5)).toBe(0);
    for (let n = 0; n < 15; n++) ahead.answered('t');
    expect(ask(ahead, budget, HOLD_MS + 6)).toBe(8);
  });

  it('lets one ask at a time take places ahead: concurrent asks would each take some, and most would go unused', () => {
    const ahead = places();
    steady(ahead, 50, 0);
    expect(ahead.startAsk('t', budget, HOLD_MS)).toBe(8);
    expect(ahead.startAsk('t', budget, HOLD_MS)).toBe(0);
    ahead.keep('t', 'budget', 't', [], HOLD_MS);
    expect(ahead.startAsk('t', budget, HOLD_MS)).toBe(8);
  });

  it('hands out the places it keeps under the same budget, until the hold ends', () => {
    const ahead = places();
    ahead.keep('t', 'budget-1', 't', ['a', 'b'], 0);
    expect(ahead.take('t', 'budget-1', 10)).toBe('b');
    expect(ahead.take('t', 'budget-1', 20)).toBe('a');
    expect(ahead.take('t', 'budget-1', 30)).toBeUndefined();
    expect(ahead.take('other', 'budget-1', 30)).toBeUndefined();
    expect(given).toEqual([]);
  });

  it('gives back unused places when the hold ends or the budget changes', () => {
    const ahead = places();
    ahead.keep('t', 'budget-1', 't', ['a', 'b'], 0);
    expect(ahead.take('t', 'budget-2', 10)).toBeUndefined();
    expect(given).toEqual([{ tenantId: 't', ids: ['a', 'b'] }]);
    ahead.keep('t', 'budget-2', 't', ['c'], 20);
    expect(ahead.take('t', 'budget-2', 20 + HOLD_MS)).toBeUndefined();
    expect(given).toEqual([
      { tenantId: 't', ids: ['a', 'b'] },
      { tenantId: 't', ids: ['c'] },
    ]);
  });

  it('gives back what is left when its timer sweeps, and everything when the ingress stops', async () => {
    const ahead = places();
    ahead.keep('swept', 'budget', 'swept', ['x']);
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS * 2 + 50));
    expect(given).toEqual([{ tenantId: 'swept', ids: ['x'] }]);
    ahead.keep('stopping', 'budget', 'stopping', ['y', 'z']);
    ahead.releaseAll();
    expect(given).toEqual([
      { tenantId: 'swept', ids: ['x'] },
      { tenantId: 'stopping', ids: ['y', 'z'] },
    ]);
  });
});
