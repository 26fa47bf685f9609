import { loadConfig } from '@scimflow/config';
import { runMain } from '@scimflow/telemetry';
import { createDatabase } from './create-database';
import { migrateToLatest } from './migrator';
import { isDatabaseUnavailable } from './write-errors';

/** How long the migrations wait for Postgres to accept connections (a first `compose up`). */
const CONNECT_WAIT_MS = 60_000;

/** `npm run migrate` / the compose `migrate` service: applies pending migrations and exits. */
runMain(async () => {
  const config = loadConfig(process.env, 'migrate');
  const db = createDatabase({ url: config.databaseUrl, poolSize: 1, applicationName: 'scimflow-migrate' });
  try {
    const results = await untilConnected(() => migrateToLatest(db));
    for (const result of results) console.log(`${result.status.toLowerCase()}: ${result.migrationName}`);
    if (results.length === 0) console.log('database is up to date');
  } finally {
    await db.destroy();
  }
});

/** Runs `attempt`, again every second while Postgres refuses connections, saying once that it waits. */
async function untilConnected<T>(attempt: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + CONNECT_WAIT_MS;
  for (let said = false; ; said = true) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() > giveUpAt) throw error;
      if (!said) console.log('waiting for Postgres to accept connections...');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
