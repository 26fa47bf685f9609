import { loadConfig } from '@scimflow/config';
import { runMain } from '@scimflow/telemetry';
import { createDatabase } from './create-database';
import { migrateToLatest } from './migrator';

/** `npm run migrate` / the compose `migrate` service: applies pending migrations and exits. */
runMain(async () => {
  const config = loadConfig(process.env, 'migrate');
  const db = createDatabase({ url: config.databaseUrl, poolSize: 1, applicationName: 'scimflow-migrate' });
  try {
    const results = await migrateToLatest(db);
    for (const result of results) console.log(`${result.status.toLowerCase()}: ${result.migrationName}`);
    if (results.length === 0) console.log('database is up to date');
  } finally {
    await db.destroy();
  }
});
