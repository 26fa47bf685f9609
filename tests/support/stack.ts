import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadConfig, type Env } from '@scimflow/config';
import { createLogger } from '@scimflow/telemetry';
import { startIngress, type IngressHandle } from '../../services/ingress/src/start-ingress';
import { startNotifier, type NotifierHandle } from '../../services/notifier/src/start-notifier';
import { startWorker, type WorkerHandle } from '../../services/worker/src/start-worker';
import { ScimClient } from './scim-client';
import { deletePrefixKeys } from './redis-keys';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase, redisEnv, testRedis, type TestDatabase } from './test-database';

export const ADMIN_TOKEN = 'integration-admin-token';
/** Shared by ingress and notifier, so the links in digests open the console. */
export const CONSOLE_SECRET = 'integration-console-secret-0123456789abcdef';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly scimBaseUrl: string;
  readonly token: string;
  readonly scim: ScimClient;
}

export interface StackOptions {
  /** Extra environment for both services (REPLY_TIMEOUT_MS, REDIS_URL...). */
  readonly env?: Env;
  /** Start without a worker (tests that need commands to go unanswered). */
  readonly worker?: boolean;
  /** Reach Postgres through a TcpProxy the test can cut (chaos tests). */
  readonly postgresProxy?: boolean;
  /** With `postgresProxy`: cut before the services start (they must start anyway). */
  readonly postgresDownAtStart?: boolean;
  /** `false`: an empty database the migrations never ran on. */
  readonly migrated?: boolean;
  /** The ingress's lines kept in `logLines` from this level up (default warn). */
  readonly captureLevel?: 'info' | 'debug';
}

/** A parsed pino line: `level` 40 is warn, 50 error. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; service?: string };

/**
 * The services' logger in tests: lines at warn and above (or TEST_LOG_LEVEL) are kept for tests to
 * assert on ("a client hang-up logs nothing"), and printed too when TEST_LOG_LEVEL is set.
 */
function capturingLogger(service: string, lines: LogLine[], level = 'warn') {
  const shown = process.env.TEST_LOG_LEVEL;
  return createLogger(
    { level: shown ?? level, service },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
        if (shown) process.stdout.write(line);
      },
    },
  );
}

/** A free TCP port (there is a tiny race until the ingress binds it, acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The real ingress and worker, in this process, against this file's own database and queue
 * prefix. What a test file talks to is exactly what production runs, minus process boundaries.
 */
export class Stack {
  private readonly workers: (WorkerHandle | NotifierHandle)[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly url: string,
    readonly queuePrefix: string,
    private readonly env: Env,
    private ingress: IngressHandle,
    /** Every warning and error the services logged (and more with TEST_LOG_LEVEL), parsed. */
    readonly logLines: LogLine[],
  ) {}

  /** Set when started with `postgresProxy`: cut it to take Postgres away from the services. */
  postgresProxy: TcpProxy | undefined;

  static async start(options: StackOptions = {}): Promise<Stack> {
    const database = await createTestDatabase(options.migrated === false ? { migrated: false } : {});
    const direct = new URL(database.url);
    const proxy = options.postgresProxy
      ? await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) })
      : undefined;
    const databaseUrl = proxy ? Object.assign(new URL(database.url), { port: String(proxy.port) }).href : database.url;
    if (proxy && options.postgresDownAtStart) await proxy.cut();
    const port = await freePort();
    const queuePrefix = `t-${randomBytes(5).toString('hex')}`;
    const env: Env = {
      DATABASE_URL: databaseUrl,
      ...redisEnv(),
      ADMIN_TOKEN,
      CONSOLE_SECRET,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      QUEUE_PREFIX: queuePrefix,
      REPLY_TIMEOUT_MS: '10000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      DB_POOL_SIZE: '4',
      WORKER_HEALTH_PORT: '0',
      // The tests' webhook receivers listen on 127.0.0.1; webhook-ssrf.test.ts turns this off.
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...options.env,
    };
    const logLines: LogLine[] = [];
    const ingress = await startIngress(
      loadConfig(env, 'ingress'),
      capturingLogger('test', logLines, options.captureLevel),
    );
    const stack = new Stack(database, `http://127.0.0.1:${port}`, queuePrefix, env, ingress, logLines);
    stack.postgresProxy = proxy;
    if (options.worker !== false) await stack.startWorker();
    return stack;
  }

  async startWorker(env: Env = {}): Promise<WorkerHandle> {
    const logger = capturingLogger('test-worker', this.logLines);
    const worker = await startWorker(loadConfig({ ...this.env, ...env }, 'worker'), logger);
    this.workers.push(worker);
    return worker;
  }

  /** The notifier, sending to `SMTP_URL` (an SmtpSink's url). */
  async startNotifier(env: Env): Promise<NotifierHandle> {
    const logger = capturingLogger('test-notifier', this.logLines);
    const notifier = await startNotifier(
      loadConfig({ ...this.env, NOTIFIER_HEALTH_PORT: '0', ...env }, 'notifier'),
      logger,
    );
    this.workers.push(notifier);
    return notifier;
  }

  async stopWorkers(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((worker) => worker.close()));
  }

  async createTenant(name = 'acme'): Promise<Tenant> {
    const response = await fetch(`${this.url}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (response.status !== 201) throw new Error(`tenant creation answered ${response.status}`);
    const tenant = (await response.json()) as Omit<Tenant, 'scim'>;
    return { ...tenant, scim: new ScimClient(tenant.scimBaseUrl, tenant.token) };
  }

  async stop(): Promise<void> {
    await this.postgresProxy?.connect();
    await this.ingress.close();
    await this.stopWorkers();
    await this.postgresProxy?.stop();
    await this.database.drop();
    await deletePrefixKeys(testRedis(), this.queuePrefix);
  }
}

/**
 * Registers beforeAll/afterAll hooks that start a stack (and one tenant) for a test file, and
 * returns accessors for them.
 */
export function useStack(options: StackOptions & { tenant?: string } = {}): {
  readonly stack: Stack;
  readonly tenant: Tenant;
} {
  let stack: Stack | undefined;
  let tenant: Tenant | undefined;
  beforeAll(async () => {
    stack = await Stack.start(options);
    tenant = await stack.createTenant(options.tenant ?? 'acme');
  });
  afterAll(() => stack?.stop());
  return {
    get stack() {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    get tenant() {
      if (!tenant) throw new Error('the stack starts in beforeAll');
      return tenant;
    },
  };
}
