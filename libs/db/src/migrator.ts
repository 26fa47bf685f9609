import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResult } from 'kysely/migration';
import * as initial from './migrations/0001-initial';
import * as groups from './migrations/0002-groups';
import * as afterTheWrite from './migrations/0003-after-the-write';
import * as memberIndex from './migrations/0004-member-index';
import * as sequencedAtCommit from './migrations/0005-sequenced-at-commit';
import * as requestIds from './migrations/0006-request-ids';
import * as tenantLifecycle from './migrations/0007-tenant-lifecycle';
import * as emailValuesPlpgsql from './migrations/0008-email-values-plpgsql';

// Listed statically (not read from a folder) so the migrations travel inside the bundled build.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-groups': groups,
  '0003-after-the-write': afterTheWrite,
  '0004-member-index': memberIndex,
  '0005-sequenced-at-commit': sequencedAtCommit,
  '0006-request-ids': requestIds,
  '0007-tenant-lifecycle': tenantLifecycle,
  '0008-email-values-plpgsql': emailValuesPlpgsql,
};

export class MigrationError extends Error {
  constructor(
    cause: unknown,
    readonly results: readonly MigrationResult[],
  ) {
    super(`Migration failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Applies every pending migration; concurrent callers are serialised by kysely's lock table. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<readonly MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw new MigrationError(error, results);
  return results;
}

/** Where the schema stands: the newest migration applied, and whether every one this build knows is. */
export async function schemaStatus<DB>(db: Kysely<DB>): Promise<{ version: string | undefined; current: boolean }> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const known = await migrator.getMigrations();
  const applied = known.filter((migration) => migration.executedAt !== undefined);
  return { version: applied.at(-1)?.name, current: applied.length === known.length };
}

/** For readiness reports: `schema` current or behind, and the newest migration applied. */
export async function schemaReadiness<DB>(db: Kysely<DB>) {
  const status = await schemaStatus(db);
  return {
    ok: status.current,
    fields: { schema: status.current ? 'current' : 'behind', schemaVersion: status.version ?? 'none' },
  };
}
