import { randomBytes } from 'node:crypto';
import { ADMIN_TOKEN, freePort } from './stack';
import { startScript, stopProcess, waitForHttp, type ServiceProcess } from './processes';
import { ScimClient } from './scim-client';
import { deletePrefixKeys } from './redis-keys';
import { createTestDatabase, redisEnv, testRedis, type TestDatabase } from './test-database';

/** The built services as separate processes, as `npm start` and compose run them. */
export class ProcessStack {
  readonly processes: { ingress?: ServiceProcess; worker?: ServiceProcess } = {};
  /** Processes beyond the first ingress and worker (scale-out tests). */
  private readonly more: ServiceProcess[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly url: string,
    readonly env: Record<string, string>,
    private readonly preload: boolean,
  ) {}

  static async create(options: { env?: Record<string, string>; preload?: boolean } = {}): Promise<ProcessStack> {
    const database = await createTestDatabase();
    const port = await freePort();
    const env = {
      DATABASE_URL: database.url,
      ...redisEnv(),
      ADMIN_TOKEN,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      QUEUE_PREFIX: `p-${randomBytes(5).toString('hex')}`,
      LOG_LEVEL: 'info',
      DB_POOL_SIZE: '4',
      WORKER_HEALTH_PORT: '0',
      // The tests' webhook receivers listen on 127.0.0.1; webhook-ssrf.test.ts turns this off.
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...options.env,
    };
    return new ProcessStack(database, `http://127.0.0.1:${port}`, env, options.preload ?? false);
  }

  async startIngress(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const ingress = startScript(
      'ingress',
      { ...this.env, OTEL_SERVICE_NAME: 'scimflow-ingress', ...env },
      { preload: this.preload },
    );
    this.processes.ingress = ingress;
    await waitForHttp(`${this.url}/healthz`).catch((error: unknown) => {
      throw new Error(`ingress did not start: ${String(error)}\n${ingress.output()}`);
    });
    return ingress;
  }

  startWorker(env: Record<string, string> = {}): ServiceProcess {
    const worker = startScript(
      'worker',
      { ...this.env, OTEL_SERVICE_NAME: 'scimflow-worker', ...env },
      { preload: this.preload },
    );
    this.processes.worker = worker;
    return worker;
  }

  /** Another ingress process on its own port, same database and queues; returns its base URL. */
  async addIngress(): Promise<string> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const ingress = startScript('ingress', { ...this.env, PORT: String(port), OTEL_SERVICE_NAME: 'scimflow-ingress' });
    this.more.push(ingress);
    await waitForHttp(`${url}/healthz`).catch((error: unknown) => {
      throw new Error(`ingress did not start: ${String(error)}\n${ingress.output()}`);
    });
    return url;
  }

  /** Another worker process. */
  addWorker(): ServiceProcess {
    const worker = startScript('worker', { ...this.env, OTEL_SERVICE_NAME: 'scimflow-worker' });
    this.more.push(worker);
    return worker;
  }

  async createTenant(name: string): Promise<{ id: string; token: string; scimBaseUrl: string; scim: ScimClient }> {
    const response = await fetch(`${this.url}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const tenant = (await response.json()) as { id: string; token: string; scimBaseUrl: string };
    return { ...tenant, scim: new ScimClient(tenant.scimBaseUrl, tenant.token) };
  }

  async stop(): Promise<void> {
    await Promise.all([...Object.values(this.processes), ...this.more].map((service) => stopProcess(service)));
    await this.database.drop();
    const prefix = this.env.QUEUE_PREFIX;
    if (prefix) await deletePrefixKeys(testRedis(), prefix);
  }
}
