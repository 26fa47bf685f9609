import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;
export type ServiceRole = 'ingress' | 'worker' | 'notifier' | 'migrate' | 'admin';

export interface BaseConfig {
  readonly role: ServiceRole;
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  readonly db: { readonly poolSize: number };
  readonly otel: { readonly endpoint: string | undefined; readonly serviceName: string };
}

export interface QueueConfig extends BaseConfig {
  readonly redisUrl: string;
  /** BullMQ key prefix, wrapped in `{}` so every key of a queue hashes to one Redis Cluster slot. */
  readonly queuePrefix: string;
  readonly shutdownTimeoutMs: number;
}

export interface AdminConfig extends BaseConfig {
  readonly role: 'admin';
  /** Base of every tenant's scimBaseUrl and meta.location. */
  readonly publicUrl: string;
}

export interface IngressConfig extends QueueConfig {
  readonly role: 'ingress';
  readonly port: number;
  readonly adminToken: string;
  readonly publicUrl: string;
  readonly replyTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Most commands the ingress puts in one queue job. */
  readonly batchSize: number;
  /** Most jobs one ingress has waiting for a worker at once; commands arriving meanwhile form the next batch. */
  readonly batchesInFlight: number;
}

export interface WorkerConfig extends QueueConfig {
  readonly role: 'worker';
  /** Jobs (command batches) applied in parallel, each in its own transaction. */
  readonly concurrency: number;
  /** Port of the worker's /healthz and /readyz (0: any free port). */
  readonly healthPort: number;
  /** `iss` of every event: the public URL of the service. */
  readonly publicUrl: string;
  readonly outboxPollMs: number;
  readonly webhooks: {
    readonly timeoutMs: number;
    /** Delivery attempts of one event before it is dead-lettered and the endpoint moves on. */
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
  };
}

export interface NotifierConfig extends QueueConfig {
  readonly role: 'notifier';
  readonly smtpUrl: string;
  readonly from: string;
  /** Default digest window; a tenant's notifyWindowSeconds overrides it. */
  readonly windowSeconds: number;
  /** Where the digest's "look here" hint points. */
  readonly publicUrl: string;
  readonly healthPort: number;
  /** First retry delay of a digest the SMTP server refused (doubling, 8 attempts). */
  readonly retryBaseMs: number;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const urlWithScheme = (schemes: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}` },
  );

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const base = {
  DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:']),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  DB_POOL_SIZE: int(1, 500).default(10),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlWithScheme(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

const queue = {
  REDIS_URL: urlWithScheme(['redis:', 'rediss:']),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - or _')
    .default('scimflow'),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(25_000),
};

const publicUrl = {
  PORT: int(0, 65_535).default(8080),
  PUBLIC_URL: urlWithScheme(['http:', 'https:']).optional(),
};

const ingress = {
  ...queue,
  ...publicUrl,
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  // Entra fails a request after 60 s; answering 503 well before that lets it retry cleanly.
  REPLY_TIMEOUT_MS: int(100, 55_000).default(25_000),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
  INGRESS_BATCH_SIZE: int(1, 1000).default(100),
  INGRESS_BATCHES_IN_FLIGHT: int(1, 1000).default(8),
};

const workerOnly = {
  ...queue,
  WORKER_CONCURRENCY: int(1, 1000).default(8),
  WORKER_HEALTH_PORT: int(0, 65_535).default(8081),
};

const worker = {
  ...workerOnly,
  PUBLIC_URL: urlWithScheme(['http:', 'https:']).optional(),
  OUTBOX_POLL_MS: int(50, 60_000).default(1_000),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(12),
  WEBHOOK_RETRY_BASE_MS: int(10, 3_600_000).default(1_000),
  WEBHOOK_RETRY_MAX_MS: int(10, 86_400_000).default(3_600_000),
};

const notifier = {
  ...queue,
  PUBLIC_URL: urlWithScheme(['http:', 'https:']).optional(),
  SMTP_URL: urlWithScheme(['smtp:', 'smtps:']),
  NOTIFY_FROM: z.string().min(3).default('scimflow <scimflow@localhost>'),
  NOTIFY_WINDOW_SECONDS: int(1, 7 * 24 * 3600).default(900),
  NOTIFIER_HEALTH_PORT: int(0, 65_535).default(8082),
  NOTIFY_RETRY_BASE_MS: int(10, 3_600_000).default(5_000),
};

const shapes = { ingress, worker, notifier, migrate: {}, admin: publicUrl } as const;

/**
 * Reads and validates the environment once. Every bad variable is reported in one error, and the
 * result is frozen so no module can change configuration behind another's back.
 */
export function loadConfig(env: Env, role: 'ingress'): IngressConfig;
export function loadConfig(env: Env, role: 'worker'): WorkerConfig;
export function loadConfig(env: Env, role: 'notifier'): NotifierConfig;
export function loadConfig(env: Env, role: 'admin'): AdminConfig;
export function loadConfig(env: Env, role: 'migrate'): BaseConfig;
export function loadConfig(env: Env, role: ServiceRole): BaseConfig {
  // Compose and shells often pass `VAR=` for "unset"; treat empty strings as absent.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = z.object({ ...base, ...shapes[role] }).safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  const v: Record<string, unknown> = parsed.data;
  const common: BaseConfig = {
    role,
    databaseUrl: v.DATABASE_URL as string,
    logLevel: v.LOG_LEVEL as LogLevel,
    db: { poolSize: v.DB_POOL_SIZE as number },
    otel: {
      endpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT as string | undefined,
      serviceName: (v.OTEL_SERVICE_NAME as string | undefined) ?? `scimflow-${role}`,
    },
  };
  const port = v.PORT as number | undefined;
  const publicUrlOf = () =>
    ((v.PUBLIC_URL as string | undefined) ?? `http://localhost:${port ?? 8080}`).replace(/\/+$/, '');
  if (role === 'migrate') return deepFreeze(common);
  if (role === 'admin') return deepFreeze<AdminConfig>({ ...common, role, publicUrl: publicUrlOf() });

  const queued: QueueConfig = {
    ...common,
    redisUrl: v.REDIS_URL as string,
    queuePrefix: `{${v.QUEUE_PREFIX as string}}`,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS as number,
  };
  if (role === 'worker') {
    const config: WorkerConfig = {
      ...queued,
      role,
      concurrency: v.WORKER_CONCURRENCY as number,
      healthPort: v.WORKER_HEALTH_PORT as number,
      publicUrl: publicUrlOf(),
      outboxPollMs: v.OUTBOX_POLL_MS as number,
      webhooks: {
        timeoutMs: v.WEBHOOK_TIMEOUT_MS as number,
        maxAttempts: v.WEBHOOK_MAX_ATTEMPTS as number,
        retryBaseMs: v.WEBHOOK_RETRY_BASE_MS as number,
        retryMaxMs: v.WEBHOOK_RETRY_MAX_MS as number,
      },
    };
    return deepFreeze(config);
  }
  if (role === 'notifier') {
    const config: NotifierConfig = {
      ...queued,
      role,
      smtpUrl: v.SMTP_URL as string,
      from: v.NOTIFY_FROM as string,
      windowSeconds: v.NOTIFY_WINDOW_SECONDS as number,
      publicUrl: publicUrlOf(),
      healthPort: v.NOTIFIER_HEALTH_PORT as number,
      retryBaseMs: v.NOTIFY_RETRY_BASE_MS as number,
    };
    return deepFreeze(config);
  }
  const config: IngressConfig = {
    ...queued,
    role: 'ingress',
    port: port ?? 8080,
    adminToken: v.ADMIN_TOKEN as string,
    publicUrl: publicUrlOf(),
    replyTimeoutMs: v.REPLY_TIMEOUT_MS as number,
    maxBodyBytes: v.MAX_BODY_BYTES as number,
    batchSize: v.INGRESS_BATCH_SIZE as number,
    batchesInFlight: v.INGRESS_BATCHES_IN_FLIGHT as number,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
