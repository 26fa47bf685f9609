import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, type Db } from '../../libs/db/src/create-database';
import { createRedis, type RedisClient } from '../../libs/jobs/src/redis-connection';

export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.href;
}

export function testEnvironment(): { serverUrl: string; redisUrl: string; template: string; runId: string } {
  const {
    SCIMFLOW_TEST_SERVER_URL: serverUrl,
    SCIMFLOW_TEST_REDIS_URL: redisUrl,
    SCIMFLOW_TEST_TEMPLATE: template,
    SCIMFLOW_TEST_RUN: runId,
  } = process.env;
  if (!serverUrl || !redisUrl || !template || !runId)
    throw new Error('tests/support/global-setup.ts did not run for this jest project');
  return { serverUrl, redisUrl, template, runId };
}

/** The Redis the services under test use: a cluster's seed nodes when the run has one. */
export function redisEnv(): { REDIS_URL: string; REDIS_CLUSTER_NODES?: string } {
  const cluster = process.env.SCIMFLOW_TEST_REDIS_CLUSTER;
  return { REDIS_URL: testEnvironment().redisUrl, ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}) };
}

/** A client of that Redis, for tests that look at or add to queues themselves. */
export function testRedis(): RedisClient {
  const cluster = process.env.SCIMFLOW_TEST_REDIS_CLUSTER;
  const target = cluster
    ? {
        clusterNodes: cluster.split(',').map((node) => {
          const [host = '', port = ''] = node.split(':');
          return { host, port: Number(port) };
        }),
      }
    : { url: testEnvironment().redisUrl };
  return createRedis(target, 'worker', 'scimflow-test');
}

export interface TestDatabase {
  readonly url: string;
  readonly db: Db;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: each test file gets its own. */
/** A fresh database: a clone of the migrated template, or (`migrated: false`) an empty one. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const { serverUrl, template, runId } = testEnvironment();
  const name = `scimflow_t_${runId}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(
          options.migrated === false ? `create database ${name}` : `create database ${name} template ${template}`,
        );
        break;
      } catch (error) {
        // 55006: another file is cloning the template at this very moment.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(serverUrl, name);
  const db = createDatabase({ url, poolSize: 5, applicationName: 'scimflow-test' });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
