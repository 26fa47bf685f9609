import { Client } from 'pg';
// Relative paths: globalSetup runs outside jest's moduleNameMapper.
import { createDatabase } from '../../libs/db/src/create-database';
import { migrateToLatest } from '../../libs/db/src/migrator';
import { startTestServices } from './services';
import { databaseUrlFor } from './test-database';

declare global {
  var __scimflowTestServices: { stop(): Promise<void> } | undefined;
}

/**
 * Once per jest run: find Postgres and Redis, migrate a template database, and hand both to the
 * test files through the environment (workers are forked after this and inherit it).
 */
export default async function globalSetup(): Promise<void> {
  const services = await startTestServices();
  globalThis.__scimflowTestServices = services;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `scimflow_tpl_${runId}`;
  const admin = new Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${template}`);
  } finally {
    await admin.end();
  }
  const db = createDatabase({
    url: databaseUrlFor(services.databaseUrl, template),
    poolSize: 1,
    applicationName: 'scimflow-test-setup',
  });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  process.env.SCIMFLOW_TEST_SERVER_URL = services.databaseUrl;
  process.env.SCIMFLOW_TEST_REDIS_URL = services.redisUrl;
  // With a Redis Cluster (npm run test:cluster), services and tests use it instead of REDIS_URL.
  if (process.env.REDIS_CLUSTER_NODES) process.env.SCIMFLOW_TEST_REDIS_CLUSTER = process.env.REDIS_CLUSTER_NODES;
  process.env.SCIMFLOW_TEST_TEMPLATE = template;
  process.env.SCIMFLOW_TEST_RUN = runId;
}
