/**
 * Write places an ingress took from a tenant's shared budget ahead of its next writes, so a tenant
 * writing steadily asks Redis once per few writes instead of once per write (at 100 writes/s a
 * round trip is one more wake-up of the ingress and of Redis, which is most of what a write costs).
 *
 * A place ahead is an ordinary grant: its rate token is spent and its in-flight member is in the
 * shared set, so no ingress can admit more than the budget; at worst a place goes unused. How many
 * are taken follows what this ingress admitted for the tenant in the last hold window, so a tenant
 * writing now and then takes none. Small budgets take none either: their exact counts matter more
 * than a round trip. Nor does a tenant with many writes in progress here: its places would crowd
 * its in-flight limit (finished writes give their places back lazily, carried by the next ask).
 * An unused place is given back (its in-flight member removed, its rate token returned) when its
 * hold ends or the budget changes.
 * `S` is what the places were granted under (the bucket's spec), handed back with them.
 */
export const HOLD_MS = 250;
/**
 * Only a raised budget (burst and in-flight limit of 512 or more) reaches this cap; the defaults
 * stop at 8. A sync at 64 connections asked once per write with a cap of 8 (the one ask out for
 * places ahead was used up before the next could return). 8 -> 64, POST at 32 connections on
 * each of two stacks at once, sides swapped: ingress CPU per write -9%, worker -5% (issue 9).
 */
const MAX_AHEAD = 64;
/** A budget takes places ahead only while they are at most this share of its burst and of its in-flight limit. */
const SHARE = 8;
/** Places ahead only while the tenant's writes in progress here, with them, stay within this share of its in-flight limit. */
const IN_FLIGHT_SHARE = 4;

interface Held<S> {
  /** The budget the places were granted under: a changed budget asks again. */
  readonly budgetKey: string;
  readonly grantedUnder: S;
  readonly ids: string[];
  readonly until: number;
}

interface Pace {
  since: number;
  count: number;
  /** Writes admitted in the last complete window. */
  previous: number;
}

export class PlacesAhead<S> {
  private readonly held = new Map<string, Held<S>>();
  private readonly pace = new Map<string, Pace>();
  /** Tenants with an ask for places ahead out: concurrent asks would each take some, and most would go unused. */
  private readonly asking = new Set<string>();
  /** This ingress's admitted writes not yet answered, by tenant. */
  private readonly inFlight = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  /** `giveBack` returns unused places to the budget they were granted under. */
  constructor(private readonly giveBack: (grantedUnder: S, ids: readonly string[]) => void) {}

  /** A place held for this tenant under this budget, if one is left. */
  take(tenantId: string, budgetKey: string, now = Date.now()): string | undefined {
    const held = this.held.get(tenantId);
    if (!held) return undefined;
    if (held.budgetKey !== budgetKey || held.until <= now) {
      this.release(tenantId);
      return undefined;
    }
    const id = held.ids.pop();
    if (held.ids.length === 0) this.held.delete(tenantId);
    return id;
  }

  /** Counts an admitted write of the tenant's (the pace that decides how many places to take ahead). */
  admitted(tenantId: string, now = Date.now()): void {
    this.inFlight.set(tenantId, (this.inFlight.get(tenantId) ?? 0) + 1);
    const pace = this.pace.get(tenantId);
    if (!pace) {
      if (this.pace.size > 10_000) this.pace.clear();
      this.pace.set(tenantId, { since: now, count: 1, previous: 0 });
      return;
    }
    if (now - pace.since >= HOLD_MS) {
      // A gap of more than one window means the tenant wrote nothing in the last one.
      pace.previous = now - pace.since < 2 * HOLD_MS ? pace.count : 0;
      pace.since = now;
      pace.count = 0;
    }
    pace.count++;
  }

  /** An admitted write was answered. */
  answered(tenantId: string): void {
    const left = (this.inFlight.get(tenantId) ?? 1) - 1;
    if (left > 0) this.inFlight.set(tenantId, left);
    else this.inFlight.delete(tenantId);
  }

  /**
   * Starts an ask: how many places to take ahead for the tenant's next writes, beside the one asked
   * for now. When some, the ask is out (no other takes places ahead) until `keep` is told its answer.
   */
  startAsk(tenantId: string, budget: { readonly burst: number; readonly inFlightLimit: number }, now = Date.now()) {
    const wanted = this.count(tenantId, budget, now);
    if (wanted > 0) this.asking.add(tenantId);
    return wanted;
  }

  private count(tenantId: string, budget: { readonly burst: number; readonly inFlightLimit: number }, now: number) {
    const pace = this.pace.get(tenantId);
    if (!pace || now - pace.since >= 2 * HOLD_MS || this.asking.has(tenantId)) return 0;
    const recent = now - pace.since >= HOLD_MS ? pace.count : pace.previous;
    const cap = Math.min(MAX_AHEAD, Math.floor(budget.burst / SHARE), Math.floor(budget.inFlightLimit / SHARE));
    const room = Math.floor(budget.inFlightLimit / IN_FLIGHT_SHARE) - (this.inFlight.get(tenantId) ?? 0) - 1;
    return Math.max(0, Math.min(cap, room, recent - 1));
  }

  /** Ends an ask: keeps the places it was granted ahead (none, if it failed), until the hold ends. */
  keep(tenantId: string, budgetKey: string, grantedUnder: S, ids: readonly string[], now = Date.now()): void {
    this.asking.delete(tenantId);
    if (ids.length === 0) return;
    this.release(tenantId);
    this.held.set(tenantId, { budgetKey, grantedUnder, ids: [...ids], until: now + HOLD_MS });
    this.sweeper ??= setTimeout(() => this.sweep(), HOLD_MS).unref();
  }

  /** Gives back every place still held (the ingress is stopping). */
  releaseAll(): void {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    for (const tenantId of this.held.keys()) this.release(tenantId);
  }

  private release(tenantId: string): void {
    const held = this.held.get(tenantId);
    this.held.delete(tenantId);
    if (held && held.ids.length > 0) this.giveBack(held.grantedUnder, held.ids);
  }

  private sweep(): void {
    this.sweeper = undefined;
    const now = Date.now();
    for (const [tenantId, held] of this.held) if (held.until <= now) this.release(tenantId);
    if (this.held.size > 0) this.sweeper = setTimeout(() => this.sweep(), HOLD_MS).unref();
  }
}
