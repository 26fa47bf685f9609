// The environment variables shared by several services, and the zod fields they are read with;
// each service's own schema (load-config.ts) is built from these.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;
export type ServiceRole = 'ingress' | 'worker' | 'notifier' | 'migrate' | 'admin';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const urlWithScheme = (schemes: readonly string[]) =>
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

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const flag = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .default('false')
  .transform((value) => value === 'true');
const httpUrl = urlWithScheme(['http:', 'https:']);

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyEntry = (entry: string) => {
  const [address, prefix, ...rest] = entry.split('/');
  return (
    PROXY_NAMES.has(entry) ||
    (rest.length === 0 &&
      address !== undefined &&
      isIP(address) !== 0 &&
      (prefix === undefined || /^\d{1,3}$/.test(prefix)))
  );
};
/** Express's `trust proxy`: false, true, a hop count, or addresses/subnets/names of the proxies in front. */
export const trustProxy = z
  .string()
  .default('false')
  .refine(
    (value) => /^(true|false|\d{1,2})$/.test(value) || value.split(',').every((entry) => isProxyEntry(entry.trim())),
    'must be true, false, a hop count, or a comma-separated list of proxy addresses, subnets or loopback/linklocal/uniquelocal',
  )
  .transform((value): boolean | number | string[] => {
    if (value === 'true' || value === 'false') return value === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((entry) => entry.trim());
  });

export const baseEnv = {
  DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:']),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  // json for log pipelines; pretty (pino-pretty) for a developer's terminal.
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  DB_POOL_SIZE: int(1, 500).default(10),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};
type BaseEnv = z.output<z.ZodObject<typeof baseEnv>>;

const hostPort = /^([^\s,:]+:\d{1,5}|rediss?:\/\/[^\s,]+)$/;
export const queueEnv = {
  // One of the two is required (checked in parse, so it is reported with every other problem).
  REDIS_URL: urlWithScheme(['redis:', 'rediss:']).optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .refine((value) => value.split(',').every((node) => hostPort.test(node.trim())), {
      message: 'must be host:port[,host:port...] (or redis:// / rediss:// URLs, for a password or TLS)',
    })
    .optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - or _')
    .default('scimflow'),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(25_000),
};
type QueueEnv = BaseEnv & z.output<z.ZodObject<typeof queueEnv>>;

/** The console's signing key when CONSOLE_SECRET is unset: ingress and notifier derive the same one. */
export function derivedConsoleSecret(adminToken: string): string {
  return createHash('sha256').update(`scimflow-console:${adminToken}`).digest('hex');
}

export const consoleSecret = z.string().min(32, 'must be at least 32 characters').optional();

export const publicUrlEnv = { PORT: int(0, 65_535).default(8080), PUBLIC_URL: httpUrl.optional() };

export function base(role: ServiceRole, v: BaseEnv) {
  return {
    role,
    databaseUrl: v.DATABASE_URL,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    db: { poolSize: v.DB_POOL_SIZE },
    otel: { endpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: v.OTEL_SERVICE_NAME ?? `scimflow-${role}` },
  };
}

export function queued(role: ServiceRole, v: QueueEnv) {
  return {
    ...base(role, v),
    /** A Redis Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL's server. */
    redis: redisTarget(v),
    /** BullMQ key prefix, wrapped in `{}` so every key of a queue hashes to one Redis Cluster slot. */
    queuePrefix: `{${v.QUEUE_PREFIX}}`,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
  };
}

function redisTarget(v: QueueEnv) {
  if (!v.REDIS_CLUSTER_NODES) return { url: v.REDIS_URL ?? '' };
  const entries = v.REDIS_CLUSTER_NODES.split(',').map((node) => node.trim());
  const clusterNodes = entries.map((node) => {
    const url = new URL(node.includes('://') ? node : `redis://${node}`);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  // Credentials and TLS come from the first URL-form entry: a cluster has one of each.
  const first = entries.find((node) => node.includes('://'));
  const url = first ? new URL(first) : undefined;
  return {
    clusterNodes,
    ...(url?.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url?.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url?.protocol === 'rediss:' ? { tls: true } : {}),
  };
}

/** Base of every tenant's scimBaseUrl and meta.location, and `iss` of events. */
export function publicUrlOf(publicUrl: string | undefined, port = 8080): string {
  return (publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
}
