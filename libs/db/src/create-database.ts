import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './database';
import { prepareStatements } from './prepared-statements';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Shows up in pg_stat_activity, so an operator can tell the services' connections apart. */
  readonly applicationName: string;
}

export function createDatabase(options: DatabaseOptions): Db {
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    // Prepared statements (see prepared-statements.ts) are planned once. Left to choose, Postgres kept
    // re-planning the user lookup with its groups subquery on every execution (LIMIT/OFFSET are
    // parameters): 213 µs of Postgres CPU per lookup instead of 74 µs. Our SELECTs are key lookups
    // and tenant-scoped scans whose best plan doesn't depend on the values.
    options: '-c plan_cache_mode=force_generic_plan',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  // So does a checked-out one between two statements (a transaction waiting on its caller): the pool
  // listens only to idle clients. The next query on it fails instead, and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  prepareStatements(pool);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The readiness probe's query: answers when Postgres accepts and runs a statement. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
