import { exactLookup, findExactly, type Db, type ExactLookup, type LookupItem, type SearchPage } from '@scimflow/db';
import { CommandBatcher, type ItemResult } from '@scimflow/jobs';
import type { ResourceType, SearchRequest, StoredResource } from '@scimflow/scim';

interface Lookup extends LookupItem {
  readonly resource: ResourceType;
  readonly attribute: string;
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
 * The identity providers' lookups (`userName eq`, `displayName eq`, `externalId eq`) of many
 * requests, of any tenants, answered by one statement per resource and attribute (findExactly).
 * Tenants take turns in a statement (the batcher's lines), so one tenant's burst of lookups can't
 * hold another's back by more than a statement.
 */
export class ResourceLookups {
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

  /**
   * The search's page (groups without members) when it is a lookup, answered with other requests'
   * lookups; undefined when it is another search, or a page that may not hold every match.
   */
  async page(
    tenantId: string,
    resource: ResourceType,
    request: SearchRequest,
    withGroups = false,
  ): Promise<SearchPage<StoredResource> | undefined> {
    const lookup = exactLookup(resource, request);
    const found = lookup && (await this.find(tenantId, resource, lookup, request.count, withGroups));
    return found && { rows: found, total: found.length };
  }

  /** What the lookup finds, or undefined when the page may not hold every match (search normally then). */
  find(
    tenantId: string,
    resource: ResourceType,
    lookup: ExactLookup,
    limit: number,
    withGroups = false,
  ): Promise<Found> {
    const { attribute, value } = lookup;
    return this.batcher.submit({ tenantId, resource, attribute, value, limit, withGroups }, tenantId);
  }

  private async findAll(lookups: readonly Lookup[]): Promise<ItemResult<Found>[]> {
    const results: ItemResult<Found>[] = [];
    const byStatement = Map.groupBy(
      lookups.map((lookup, index) => ({ lookup, index })),
      ({ lookup }) => `${lookup.resource.name}.${lookup.attribute}`,
    );
    await Promise.all(
      [...byStatement.values()].map(async (entries) => {
        const answers = await this.findTogether(entries.map((entry) => entry.lookup));
        entries.forEach((entry, position) => {
          results[entry.index] = answers[position] ?? { error: new Error('a lookup got no answer') };
        });
      }),
    );
    return results;
  }

  /**
   * One statement for lookups of one resource and attribute; if it fails, one each, so a lookup's
   * failure is its own (as a command's is in the worker) and the others are still answered.
   */
  private async findTogether(lookups: readonly Lookup[]): Promise<ItemResult<Found>[]> {
    const [first] = lookups;
    if (!first) return [];
    this.metrics.observeLookups(lookups.length);
    const withGroups = lookups.some((lookup) => lookup.withGroups);
    try {
      const found = await findExactly(this.db, first.resource, first.attribute, lookups, withGroups);
      return found.map((value) => ({ value }));
    } catch (error) {
      if (lookups.length === 1) return [{ error }];
      const alone: ItemResult<Found>[] = [];
      for (const lookup of lookups) alone.push(...(await this.findTogether([lookup])));
      return alone;
    }
  }
}
