import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, migrateToLatest } from '@scimflow/db';
import { createRedis } from '@scimflow/jobs';
import { startScript, stopProcess, waitForHttp, type ServiceProcess } from './processes';
import { deletePrefixKeys } from './redis-keys';

/**
 * The built ingress and worker (dist/), as processes, on a database of their own created on
 * DATABASE_URL's server and on REDIS_URL: what the command-line harnesses (`npm run conformance`,
 * `npm run fuzz`) drive. `stop()` ends the processes, drops the database and deletes the queue's Redis keys.
 */
export interface BuiltServices {
  readonly url: string;
  readonly adminToken: string;
  readonly processes: readonly ServiceProcess[];
  /** Whether a service process has exited (crashed) since it started. */
  exited(): ServiceProcess | undefined;
  /** POST/PATCH/GET on the admin API; throws on a non-2xx answer. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the services, runs `work` against them, and stops them whatever happened. */
export async function withBuiltServices(
  name: string,
  env: Record<string, string>,
  work: (services: BuiltServices) => Promise<number>,
): Promise<number> {
  const services = await startBuiltServices(name, env);
  try {
    return await work(services);
  } finally {
    await services.stop();
  }
}

/** A harness's `main`: exits with the code it returns, or 1 (and the error) when it throws. */
export function exitWith(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

export async function startBuiltServices(name: string, env: Record<string, string> = {}): Promise<BuiltServices> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const database = `scimflow_${name}_${Date.now().toString(36)}`;
  const queuePrefix = database.replaceAll('_', '-');
  const server = new Client({ connectionString: serverUrl });
  await server.connect();
  await server.query(`create database ${database}`);
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${database}`;
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((service) => stopProcess(service)));
    await server.query(`drop database if exists ${database} with (force)`);
    await server.end();
    await deletePrefixKeys(createRedis({ url: redisUrl }, 'worker', `scimflow-${name}`), queuePrefix);
  };
  try {
    const db = createDatabase({ url: databaseUrl.href, poolSize: 1, applicationName: `scimflow-${name}` });
    await migrateToLatest(db);
    await db.destroy();
    const port = 19080 + Math.floor(Math.random() * 1000);
    const url = `http://127.0.0.1:${port}`;
    const adminToken = `${name}-${randomBytes(12).toString('hex')}`;
    const serviceEnv = {
      DATABASE_URL: databaseUrl.href,
      REDIS_URL: redisUrl,
      ADMIN_TOKEN: adminToken,
      PORT: String(port),
      PUBLIC_URL: url,
      QUEUE_PREFIX: queuePrefix,
      WORKER_HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    };
    processes.push(startScript('ingress', serviceEnv), startScript('worker', serviceEnv));
    await waitForHttp(`${url}/readyz`).catch((error: unknown) => {
      throw new Error(`the services did not start: ${String(error)}\n${processes.map((s) => s.output()).join('\n')}`);
    });
    return {
      url,
      adminToken,
      processes,
      exited: () => processes.find((service) => service.child.exitCode !== null || service.child.signalCode !== null),
      async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
        const response = await fetch(`${url}/admin${path}`, {
          method,
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        if (response.status >= 300) throw new Error(`${method} /admin${path} answered ${response.status}`);
        return (await response.json()) as T;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
