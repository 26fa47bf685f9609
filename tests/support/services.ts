import type { StartedTestContainer } from 'testcontainers';

/**
 * Where the integration suites find Postgres and Redis: the servers named by DATABASE_URL and
 * REDIS_URL when both are set (CI on a machine without Docker), otherwise containers started
 * with testcontainers when a Docker engine answers.
 */
export interface TestServices {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  stop(): Promise<void>;
}

/**
 * The images the containers run. Postgres 15, as the DATABASE_URL path (and the machines' own
 * server) tests: both paths check the same major version. TEST_POSTGRES_IMAGE overrides it.
 */
const POSTGRES_IMAGE = process.env.TEST_POSTGRES_IMAGE ?? 'postgres:15-alpine';
const REDIS_IMAGE = process.env.TEST_REDIS_IMAGE ?? 'redis:7-alpine';

export async function startTestServices(): Promise<TestServices> {
  const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = process.env;
  if (databaseUrl && redisUrl) return { databaseUrl, redisUrl, stop: async () => undefined };

  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new Error(
      'No Docker engine answers and DATABASE_URL / REDIS_URL are not both set: the integration suites need real Postgres and Redis.',
      { cause: error },
    );
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const started = await Promise.allSettled([
    new PostgreSqlContainer(POSTGRES_IMAGE).start(),
    new RedisContainer(REDIS_IMAGE).start(),
  ]);
  const [postgres, redis] = started;
  if (postgres.status === 'rejected' || redis.status === 'rejected') {
    // One started and the other didn't: stop the one that did, so no container is left running.
    await stopAll(started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
    const failure = postgres.status === 'rejected' ? postgres.reason : redis.status === 'rejected' ? redis.reason : '';
    throw new Error(`could not start the test containers: ${String(failure)}`, { cause: failure });
  }
  return {
    databaseUrl: postgres.value.getConnectionUri(),
    redisUrl: redis.value.getConnectionUrl(),
    stop: () => stopAll([postgres.value, redis.value]),
  };
}

async function stopAll(containers: readonly StartedTestContainer[]): Promise<void> {
  await Promise.all(containers.map((container) => container.stop()));
}
