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
    const config = loadConfig(
      { DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL, WORKER_CONCURRENCY: '32' },
      'worker',
    );
    expect(config.concurrency).toBe(32);
    expect(() => loadConfig({ DATABASE_URL: valid.DATABASE_URL }, 'worker')).toThrow(/REDIS_URL/);
  });

  it('gives the worker its event and webhook settings, with defaults', () => {
    const config = loadConfig(
      {
        DATABASE_URL: valid.DATABASE_URL,
        REDIS_URL: valid.REDIS_URL,
        PUBLIC_URL: 'https://scim.example.com',
        WEBHOOK_MAX_ATTEMPTS: '3',
      },
      'worker',
    );
    expect(config).toMatchObject({
      publicUrl: 'https://scim.example.com',
      outboxPollMs: 1_000,
      webhooks: {
        timeoutMs: 10_000,
        maxAttempts: 3,
        retryBaseMs: 1_000,
        retryMaxMs: 3_600_000,
        policy: { allowPrivate: false },
      },
    });
    expect(loadConfig({ DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL }, 'worker').publicUrl).toBe(
      'http://localhost:8080',
    );
  });

  it('reads WEBHOOK_ALLOW_PRIVATE as true or false only', () => {
    expect(loadConfig({ ...valid, WEBHOOK_ALLOW_PRIVATE: 'true' }, 'ingress').webhookPolicy).toEqual({
      allowPrivate: true,
    });
    expect(loadConfig(valid, 'ingress').webhookPolicy).toEqual({ allowPrivate: false });
    expect(() => loadConfig({ ...valid, WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'worker')).toThrow(
      /WEBHOOK_ALLOW_PRIVATE: must be true or false/,
    );
  });

  it('reads TRUST_PROXY as Express does, and refuses what Express would not understand', () => {
    expect(loadConfig(valid, 'ingress')).toMatchObject({ trustProxy: false, authFailuresPerMinute: 20 });
    expect(loadConfig({ ...valid, TRUST_PROXY: '1' }, 'ingress').trustProxy).toBe(1);
    expect(loadConfig({ ...valid, TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }, 'ingress').trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(() => loadConfig({ ...valid, TRUST_PROXY: 'the-load-balancer' }, 'ingress')).toThrow(/TRUST_PROXY/);
  });

  it('derives one PUBLIC_URL default from PORT for every service, and runs the notifier without SMTP', () => {
    const env = { DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL, PORT: '28080' };
    expect(loadConfig({ ...valid, PORT: '28080' }, 'ingress').publicUrl).toBe('http://localhost:28080');
    expect(loadConfig(env, 'worker').publicUrl).toBe('http://localhost:28080');
    const notifier = loadConfig(env, 'notifier');
    expect(notifier.publicUrl).toBe('http://localhost:28080');
    expect(notifier.smtpUrl).toBeUndefined();
    expect(notifier.consoleSecret).toBeUndefined();
    // Given the same ADMIN_TOKEN (npm start), the notifier signs digest links the ingress accepts.
    const token = 'a-long-admin-token-0123456789';
    expect(loadConfig({ ...env, ADMIN_TOKEN: token }, 'notifier').consoleSecret).toBe(
      loadConfig({ ...valid, ADMIN_TOKEN: token }, 'ingress').consoleSecret,
    );
  });

  it("checks the notifier's SMTP URL and reports its bad variables together", () => {
    const config = loadConfig(
      { DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL, SMTP_URL: 'smtp://mailpit:1025' },
      'notifier',
    );
    expect(config).toMatchObject({
      smtpUrl: 'smtp://mailpit:1025',
      windowSeconds: 900,
      from: 'scimflow <scimflow@localhost>',
      healthPort: 8082,
    });
    expect(() =>
      loadConfig(
        {
          DATABASE_URL: valid.DATABASE_URL,
          REDIS_URL: valid.REDIS_URL,
          SMTP_URL: 'http://mail',
          NOTIFY_WINDOW_SECONDS: '0',
        },
        'notifier',
      ),
    ).toThrow(/SMTP_URL[\s\S]*NOTIFY_WINDOW_SECONDS/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(valid, 'ingress');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.db)).toBe(true);
  });
});

describe('loadConfig and Redis Cluster', () => {
  const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/scimflow', ADMIN_TOKEN: 'a-very-long-admin-token' };

  it('uses the cluster nodes instead of REDIS_URL, with credentials and TLS from a URL entry', () => {
    expect(loadConfig({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }, 'ingress').redis).toEqual({
      clusterNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    expect(
      loadConfig({ ...base, REDIS_CLUSTER_NODES: 'rediss://default:s%40cret@cfg.example:6380' }, 'worker').redis,
    ).toEqual({
      clusterNodes: [{ host: 'cfg.example', port: 6380 }],
      username: 'default',
      password: 's@cret',
      tls: true,
    });
  });

  it('needs REDIS_URL or REDIS_CLUSTER_NODES, and says so with the other problems', () => {
    expect(() => loadConfig({ ...base, PORT: 'x' }, 'ingress')).toThrow(/REDIS_URL[\s\S]*PORT/);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER_NODES: 'not a node' }, 'ingress')).toThrow(/REDIS_CLUSTER_NODES/);
  });
});
