import { z } from 'zod';
import {
  base,
  baseEnv,
  ConfigError,
  consoleSecret,
  derivedConsoleSecret,
  type Env,
  flag,
  int,
  publicUrlEnv,
  publicUrlOf,
  queued,
  queueEnv,
  type ServiceRole,
  trustProxy,
  urlWithScheme,
} from './env-fields';

export { ConfigError, type Env, type LogLevel, type ServiceRole } from './env-fields';

const migrateSchema = z.object(baseEnv).transform((v) => ({ ...base('migrate', v), role: 'migrate' as const }));

const adminSchema = z.object({ ...baseEnv, ...publicUrlEnv, WEBHOOK_ALLOW_PRIVATE: flag }).transform((v) => ({
  ...base('admin', v),
  role: 'admin' as const,
  publicUrl: publicUrlOf(v.PUBLIC_URL, v.PORT),
  /** For `webhooks test` / `webhooks replay`: the same SSRF policy as the services'. */
  webhookPolicy: { allowPrivate: v.WEBHOOK_ALLOW_PRIVATE },
}));

const ingressSchema = z
  .object({
    ...baseEnv,
    ...queueEnv,
    ...publicUrlEnv,
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    // Signs console sessions and customer links; the notifier needs the same one for digest links.
    CONSOLE_SECRET: consoleSecret,
    // Entra fails a request after 60 s; answering 503 well before that lets it retry cleanly.
    REPLY_TIMEOUT_MS: int(100, 55_000).default(25_000),
    MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
    BULK_MAX_OPERATIONS: int(1, 100_000).default(1000),
    BULK_MAX_PAYLOAD_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
    INGRESS_BATCH_SIZE: int(1, 1000).default(100),
    INGRESS_BATCHES_IN_FLIGHT: int(1, 1000).default(8),
    INGRESS_EAGER_BATCHES: int(1, 1000).default(2),
    INGRESS_BATCH_PATIENCE_MS: int(0, 1000).default(5),
    // Entra's guidance for gallery apps: at least 25 requests/s per tenant, more in bursts.
    TENANT_WRITES_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(50),
    TENANT_WRITE_BURST: int(1, 1_000_000).default(200),
    TENANT_WRITES_IN_FLIGHT: int(1, 100_000).default(64),
    TENANT_READS_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(100),
    TENANT_READ_BURST: int(1, 1_000_000).default(400),
    QUEUE_WAIT_LIMIT_MS: int(100, 60_000).default(2_000),
    WEBHOOK_ALLOW_PRIVATE: flag,
    AUTH_FAILURES_PER_MINUTE: int(1, 1_000_000).default(20),
    TRUST_PROXY: trustProxy,
  })
  .transform((v) => ({
    ...queued('ingress', v),
    role: 'ingress' as const,
    port: v.PORT,
    adminToken: v.ADMIN_TOKEN,
    /** Console sessions and customer links are signed with this (derived from ADMIN_TOKEN when unset). */
    consoleSecret: v.CONSOLE_SECRET ?? derivedConsoleSecret(v.ADMIN_TOKEN),
    publicUrl: publicUrlOf(v.PUBLIC_URL, v.PORT),
    replyTimeoutMs: v.REPLY_TIMEOUT_MS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    /** What one POST /Bulk may carry (RFC 7644 §3.7.4); advertised in ServiceProviderConfig. */
    bulkLimits: { maxOperations: v.BULK_MAX_OPERATIONS, maxPayloadSize: v.BULK_MAX_PAYLOAD_BYTES },
    /** Most commands the ingress puts in one queue job. */
    batchSize: v.INGRESS_BATCH_SIZE,
    /** Most jobs one ingress has waiting for a worker at once; commands arriving meanwhile form the next batch. */
    batchesInFlight: v.INGRESS_BATCHES_IN_FLIGHT,
    /** Jobs sent as soon as commands wait; the rest of batchesInFlight only once one has waited batchPatienceMs. */
    eagerBatches: Math.min(v.INGRESS_EAGER_BATCHES, v.INGRESS_BATCHES_IN_FLIGHT),
    batchPatienceMs: v.INGRESS_BATCH_PATIENCE_MS,
    /** Each tenant's share unless its settings say otherwise (settings.budget). */
    tenantBudget: {
      writesPerSecond: v.TENANT_WRITES_PER_SECOND,
      writeBurst: v.TENANT_WRITE_BURST,
      writesInFlight: v.TENANT_WRITES_IN_FLIGHT,
      readsPerSecond: v.TENANT_READS_PER_SECOND,
      readBurst: v.TENANT_READ_BURST,
    },
    /** Writes are refused at once (503) while the oldest queued command has waited this long. */
    queueWaitLimitMs: v.QUEUE_WAIT_LIMIT_MS,
    /** The queue prefix as given (without braces): keys outside BullMQ's slot. */
    keyPrefix: v.QUEUE_PREFIX,
    webhookPolicy: { allowPrivate: v.WEBHOOK_ALLOW_PRIVATE },
    /** Bad credentials answered 401 per client address and minute; past that, 429 (good tokens pass). */
    authFailuresPerMinute: v.AUTH_FAILURES_PER_MINUTE,
    /** Which proxies' X-Forwarded-For to believe for the client address (Express `trust proxy`). */
    trustProxy: v.TRUST_PROXY,
  }));

const workerSchema = z
  .object({
    ...baseEnv,
    ...queueEnv,
    WORKER_CONCURRENCY: int(1, 1000).default(8),
    WORKER_HEALTH_PORT: int(0, 65_535).default(8081),
    // The ingress's PORT and PUBLIC_URL: every service derives one default from the same two.
    ...publicUrlEnv,
    OUTBOX_POLL_MS: int(50, 60_000).default(1_000),
    WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
    WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(12),
    WEBHOOK_RETRY_BASE_MS: int(10, 3_600_000).default(1_000),
    WEBHOOK_RETRY_MAX_MS: int(10, 86_400_000).default(3_600_000),
    WEBHOOK_ALLOW_PRIVATE: flag,
  })
  .transform((v) => ({
    ...queued('worker', v),
    role: 'worker' as const,
    /** Jobs (command batches) applied in parallel, each in its own transaction. */
    concurrency: v.WORKER_CONCURRENCY,
    /** Port of the worker's /healthz and /readyz (0: any free port). */
    healthPort: v.WORKER_HEALTH_PORT,
    publicUrl: publicUrlOf(v.PUBLIC_URL, v.PORT),
    outboxPollMs: v.OUTBOX_POLL_MS,
    webhooks: {
      timeoutMs: v.WEBHOOK_TIMEOUT_MS,
      /** Delivery attempts of one event before it is dead-lettered and the endpoint moves on. */
      maxAttempts: v.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: v.WEBHOOK_RETRY_MAX_MS,
      /** Development only: webhooks may point at private and loopback addresses. */
      policy: { allowPrivate: v.WEBHOOK_ALLOW_PRIVATE },
    },
  }));

const notifierSchema = z
  .object({
    ...baseEnv,
    ...queueEnv,
    ...publicUrlEnv,
    // Optional: without it digests are kept, undelivered, for the admin API to show.
    SMTP_URL: urlWithScheme(['smtp:', 'smtps:']).optional(),
    NOTIFY_FROM: z.string().min(3).default('scimflow <scimflow@localhost>'),
    NOTIFY_WINDOW_SECONDS: int(1, 7 * 24 * 3600).default(900),
    NOTIFIER_HEALTH_PORT: int(0, 65_535).default(8082),
    NOTIFY_RETRY_BASE_MS: int(10, 3_600_000).default(5_000),
    // The ingress's CONSOLE_SECRET (or, as the ingress does, one derived from ADMIN_TOKEN, which
    // npm start gives every process): digests then carry a 7-day link to the customer's page.
    CONSOLE_SECRET: consoleSecret,
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .transform((v) => ({
    ...queued('notifier', v),
    role: 'notifier' as const,
    smtpUrl: v.SMTP_URL,
    from: v.NOTIFY_FROM,
    /** Default digest window; a tenant's notifyWindowSeconds overrides it. */
    windowSeconds: v.NOTIFY_WINDOW_SECONDS,
    /** Where the digest's "look here" hint points. */
    publicUrl: publicUrlOf(v.PUBLIC_URL, v.PORT),
    healthPort: v.NOTIFIER_HEALTH_PORT,
    /** First retry delay of a digest the SMTP server refused (doubling, 8 attempts). */
    retryBaseMs: v.NOTIFY_RETRY_BASE_MS,
    consoleSecret: v.CONSOLE_SECRET ?? (v.ADMIN_TOKEN === undefined ? undefined : derivedConsoleSecret(v.ADMIN_TOKEN)),
  }));

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type BaseConfig = DeepReadonly<z.output<typeof migrateSchema>>;
export type AdminConfig = DeepReadonly<z.output<typeof adminSchema>>;
export type IngressConfig = DeepReadonly<z.output<typeof ingressSchema>>;
export type WorkerConfig = DeepReadonly<z.output<typeof workerSchema>>;
export type NotifierConfig = DeepReadonly<z.output<typeof notifierSchema>>;

/**
 * Reads and validates the environment once. Every bad variable is reported in one error, and the
 * result is frozen so no module can change configuration behind another's back.
 */
export function loadConfig(env: Env, role: 'ingress'): IngressConfig;
export function loadConfig(env: Env, role: 'worker'): WorkerConfig;
export function loadConfig(env: Env, role: 'notifier'): NotifierConfig;
export function loadConfig(env: Env, role: 'admin'): AdminConfig;
export function loadConfig(env: Env, role: 'migrate'): BaseConfig;
export function loadConfig(env: Env, role: ServiceRole) {
  const usesRedis = role === 'ingress' || role === 'worker' || role === 'notifier';
  const redisMissing = usesRedis && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES;
  const extra = redisMissing ? ['REDIS_URL: required (or REDIS_CLUSTER_NODES for a Redis Cluster)'] : [];
  switch (role) {
    case 'ingress':
      return parse(ingressSchema, env, extra);
    case 'worker':
      return parse(workerSchema, env, extra);
    case 'notifier':
      return parse(notifierSchema, env, extra);
    case 'admin':
      return parse(adminSchema, env);
    case 'migrate':
      return parse(migrateSchema, env);
  }
}

function parse<T>(schema: z.ZodType<T>, env: Env, problems: readonly string[] = []): DeepReadonly<T> {
  // Compose and shells often pass `VAR=` for "unset"; treat empty strings as absent.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  if (!parsed.success || problems.length > 0) throw new ConfigError([...problems, ...issues]);
  return deepFreeze(parsed.data);
}

/** Freezes every nested object too; the overload tells the compiler what that means for the type. */
function deepFreeze<T>(value: T): DeepReadonly<T>;
function deepFreeze(value: unknown): unknown {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
