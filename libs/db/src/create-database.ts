import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database';
import { prepareSelects } from './prepared-selects';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Shows up in pg_stat_activity, so an operator can tell the services' connections apart. */
  readonly applicationName: string;
}

export function createDatabase(options: DatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  prepareSelects(pool);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
