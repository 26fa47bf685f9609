import { Client } from 'pg';

/** Drops the template and any database a crashed test file left behind, then stops containers. */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.SCIMFLOW_TEST_SERVER_URL;
  const runId = process.env.SCIMFLOW_TEST_RUN;
  if (serverUrl && runId) {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [
        `scimflow\\_%\\_${runId}%`,
      ]);
      for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
    } finally {
      await admin.end();
    }
  }
  await globalThis.__scimflowTestServices?.stop();
}
