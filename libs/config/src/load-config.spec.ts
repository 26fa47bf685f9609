import { ConfigError, loadConfig } from './load-config';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/scimflow',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ADMIN_TOKEN: 'a-very-long-admin-token',
};

describe('loadConfig', () => {
  it('applies documented defaults for the ingress', () => {
    const config = loadConfig(valid, 'ingress');
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080',
      queuePrefix: '{scimflow}',
      replyTimeoutMs: 25_000,
      logLevel: 'info',
      db: { poolSize: 10 },
      otel: { endpoint: undefined, serviceName: 'scimflow-ingress' },
    });
  });

  it('reports every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'eighty', REPLY_TIMEOUT_MS: '5', LOG_LEVEL: 'loud' }, 'ingress');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'ADMIN_TOKEN', 'PORT', 'REPLY_TIMEOUT_MS', 'LOG_LEVEL']) {
      expect(problems).toContain(name);
    }
  });

  it('treats empty strings as unset and strips a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ ...valid, PORT: '', PUBLIC_URL: 'https://scim.example.com/' }, 'ingress');
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('https://scim.example.com');
  });

  it('asks the worker only for what the worker uses', () => {
    const config = loadConfig({ DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL, WORKER_CONCURRENCY: '32' }, 'worker');
    expect(config.concurrency).toBe(32);
    expect(() => loadConfig({ DATABASE_URL: valid.DATABASE_URL }, 'worker')).toThrow(/REDIS_URL/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(valid, 'ingress');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.db)).toBe(true);
  });
});
