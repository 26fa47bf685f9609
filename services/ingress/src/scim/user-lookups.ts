import {
  findUsersExactly,
  type Db,
  type ExactUserLookup,
  type LookupAttribute,
  type UserLookupItem,
} from '@scimflow/db';
import { CommandBatcher, type ItemResult } from '@scimflow/jobs';
import type { StoredResource } from '@scimflow/scim';

interface Lookup extends UserLookupItem {
  readonly attribute: LookupAttribute;
  readonly withGroups: boolean;
}

type Found = StoredResource[] | undefined;

/**
 * Lookup statements in progress at once. Lookups arriving meanwhile wait and go out together in
 * the next statement (the group commit of reads); a lone lookup goes out on the next tick. A
 * lookup never joins a statement already running, so it sees every write answered before it was
 * asked. Four leave most of the pool (DB_POOL_SIZE, default 10) to other reads.
 */
const STATEMENTS_IN_FLIGHT = 4;
/** Most lookups in one statement. */
const LOOKUPS_PER_STATEMENT = 100;

/**
 * `userName eq` and `externalId eq` searches of many requests, of any tenants, answered by one
 * statement per attribute (findUsersExactly). Tenants take turns in a statement (the batcher's
 * lines), so one tenant's burst of lookups can't hold another's back by more than a statement.
 */
export class UserLookups {
  private readonly batcher: CommandBatcher<Lookup, Found>;

  constructor(
    private readonly db: Db,
    private readonly metrics: { observeLookups(lookups: number): void },
  ) {
    this.batcher = new CommandBatcher((lookups) => this.findAll(lookups), {
      maxBatchSize: LOOKUPS_PER_STATEMENT,
      maxParallel: STATEMENTS_IN_FLIGHT,
    });
  }

  /** The users found, or undefined when the page may not hold every match (search normally then). */
  find(tenantId: string, lookup: ExactUserLookup, limit: number, withGroups: boolean): Promise<Found> {
    return this.batcher.submit(
      { tenantId, attribute: lookup.attribute, value: lookup.value, limit, withGroups },
      tenantId,
    );
  }

  private async findAll(lookups: readonly Lookup[]): Promise<ItemResult<Found>[]> {
    const results: ItemResult<Found>[] = [];
    const byAttribute = Map.groupBy(
      lookups.map((lookup, index) => ({ lookup, index })),
      (entry) => entry.lookup.attribute,
    );
    await Promise.all(
      [...byAttribute].map(async ([attribute, entries]) => {
        const answers = await this.findTogether(
          attribute,
          entries.map((entry) => entry.lookup),
        );
        entries.forEach((entry, position) => {
          results[entry.index] = answers[position] ?? { error: new Error('a lookup got no answer') };
        });
      }),
    );
    return results;
  }

  /**
   * One statement for them all; if it fails, one each, so a lookup's failure is its own (as a
   * command's is in the worker) and the others are still answered.
   */
  private async findTogether(attribute: LookupAttribute, lookups: readonly Lookup[]): Promise<ItemResult<Found>[]> {
    const withGroups = lookups.some((lookup) => lookup.withGroups);
    this.metrics.observeLookups(lookups.length);
    try {
      const found = await findUsersExactly(this.db, attribute, lookups, withGroups);
      return found.map((value) => ({ value }));
    } catch (error) {
      if (lookups.length === 1) return [{ error }];
      const alone: ItemResult<Found>[] = [];
      for (const lookup of lookups) alone.push(...(await this.findTogether(attribute, [lookup])));
      return alone;
    }
  }
}
