import { ConfigError } from './config-error';
import { configProblems, TEST_VALIDATE_BASE } from './testing';
import { validateConfig, validateConfigWithWarnings } from './validate';
import { KNOWN_SECTIONS } from './schema';

const base = TEST_VALIDATE_BASE;
const problems = configProblems;

describe('validateConfig: defaults', () => {
  it('an empty file gives every default', () => {
    const c = validateConfig(null, base);
    expect(c.api).toEqual({
      port: 4052,
      host: '0.0.0.0',
      body_limit_bytes: 1048576,
      request_timeout_ms: 30000,
      shutdown_grace_ms: 10000,
      shutdown_delay_ms: 0,
      cache_ttl_seconds: 30,
      cache: {
        enabled: true,
        memory_max_entries: 10000,
        memory_max_bytes: 67108864,
        max_entry_bytes: 1048576,
        invalidation: 'table',
        redis_enabled: true,
        redis_key_prefix: 'athena:cache:',
        redis_timeout_ms: 250,
        redis_cooldown_ms: 5000,
        ttl_seconds: { gateway_fetch: null, gateway_data: null, data: null },
      },
      cors: { enabled: false, origins: [] },
    });
    expect(c.gateway).toMatchObject({
      logging_client: null,
      logging_pg_uri: null,
      auth_client: null,
      api_key_fail_mode: 'fail_closed',
      database_backed_client_loading: true,
      log_retention_secs: 1209600,
      run_migrations: true,
      max_rows: 10000,
      pool: { max: 10, idle_timeout_ms: 30000, connection_timeout_ms: 5000, statement_timeout_ms: 30000 },
      admission_defer_route_prefixes: ['/gateway/query', '/gateway/fetch'],
    });
    expect(c.gateway).not.toHaveProperty('default_limit');
    expect(c.postgres_clients).toEqual({});
    expect(c.logging).toEqual({ level: 'info', file_sinks: false, directory: '/home/u/.local/share/athena/logs' });
    expect(c.redis).toEqual({ url: null });
    expect(c.backup).toEqual({ bucket: null, prefix: 'backups', region: null, endpoint: null });
    expect(c.embedded).toEqual({ enabled: true, data_dir: '/home/u/.local/share/athena/embedded-pg', port: 54329 });
    expect(c.extra).toBeUndefined();
  });

  it('accepts numeric and boolean strings after interpolation', () => {
    const c = validateConfig(
      {
        api: {
          port: '${PORT:-4052}',
          cors: { enabled: '${CORS:-true}', origins: 'https://a.example, https://b.example' },
        },
      },
      { ...base, env: {} },
    );
    expect(c.api.port).toBe(4052);
    expect(c.api.cors).toEqual({ enabled: true, origins: ['https://a.example', 'https://b.example'] });
    expect(validateConfig({ api: { port: '${PORT:-4052}' } }, { ...base, env: { PORT: '8080' } }).api.port).toBe(8080);
  });

  it('auth_client falls back to logging_client; env fallbacks fill unset keys only', () => {
    const env = {
      POSTGRES_ATHENA_LOGGING_URI: 'jdbc:postgresql://u:p@db/athena_logging',
      ATHENA_GATEWAY_LOGGING_CLIENT: 'athena_logging',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      ATHENA_LOG_LEVEL: 'debug',
    };
    const c = validateConfig({ gateway: { logging_pg_uri: '' }, logging: {} }, { ...base, env });
    expect(c.gateway.logging_pg_uri).toBe('postgresql://u:p@db/athena_logging');
    expect(c.gateway.logging_client).toBe('athena_logging');
    expect(c.gateway.auth_client).toBe('athena_logging');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379/0');
    expect(c.logging.level).toBe('debug');
    const fileWins = validateConfig({ logging: { level: 'warn' }, gateway: { auth_client: 'auth' } }, { ...base, env });
    expect(fileWins.logging.level).toBe('warn');
    expect(fileWins.gateway.auth_client).toBe('auth');
  });

  it('postgres_clients: empty URI dropped with a warning, jdbc normalised', () => {
    const r = validateConfigWithWarnings(
      {
        postgres_clients: {
          main: 'jdbc:postgresql://h:5432/db',
          analytics: '${POSTGRES_ANALYTICS_URI}',
          other: 'postgres://h/o',
        },
      },
      base,
    );
    expect(r.config.postgres_clients).toEqual({ main: 'postgresql://h:5432/db', other: 'postgres://h/o' });
    expect(r.warnings).toEqual([
      'postgres_clients.analytics: URI is empty (environment variable POSTGRES_ANALYTICS_URI is not set); client "analytics" is disabled',
    ]);
  });

  it('unknown top-level sections warn and are kept in extra; backup keeps unknown keys', () => {
    const r = validateConfigWithWarnings(
      { urls: { a: 'http://x' }, gatway: {}, backup: { access_key_env: 'K' } },
      base,
    );
    expect(r.config.extra).toEqual({ urls: { a: 'http://x' }, gatway: {} });
    expect(r.config.backup).toMatchObject({ access_key_env: 'K', prefix: 'backups' });
    expect(r.warnings).toEqual([
      'urls: section is not used by this version yet; kept unvalidated in config.extra',
      `gatway: unknown top-level section ignored (did you mean "gateway"?); known: ${KNOWN_SECTIONS.join(', ')}`,
    ]);
  });

  it('warns about unset ${VAR} tokens outside postgres_clients', () => {
    const r = validateConfigWithWarnings({ redis: { url: '${NO_REDIS}' } }, base);
    expect(r.config.redis.url).toBeNull();
    expect(r.warnings).toEqual(['redis.url: environment variable NO_REDIS is not set; substituted an empty string']);
  });

  it('--port override is validated like the file value', () => {
    expect(validateConfig({ api: { port: 1 } }, { ...base, overrides: { port: 9000 } }).api.port).toBe(9000);
    expect(problems({}, { overrides: { port: 70000 } })).toEqual([
      'api.port: expected integer 1..65535, got 70000 (from --port)',
    ]);
  });
});

describe('validateConfig: error messages', () => {
  const cases: Array<[string, unknown, string]> = [
    ['port "abc"', { api: { port: 'abc' } }, 'api.port: expected integer 1..65535, got "abc"'],
    ['port 70000', { api: { port: 70000 } }, 'api.port: expected integer 1..65535, got 70000'],
    ['port 1.5', { api: { port: 1.5 } }, 'api.port: expected integer 1..65535, got 1.5'],
    [
      'unknown key',
      { api: { prot: 1 } },
      'api.prot: unknown key (allowed: port, host, body_limit_bytes, request_timeout_ms, shutdown_grace_ms, shutdown_delay_ms, cache_ttl_seconds, cache, cors)',
    ],
    [
      'bad api_key_fail_mode',
      { gateway: { api_key_fail_mode: 'fail_sometimes' } },
      'gateway.api_key_fail_mode: expected one of fail_closed, fail_open, got "fail_sometimes"',
    ],
    ['negative pool.max', { gateway: { pool: { max: -1 } } }, 'gateway.pool.max: expected integer 1..500, got -1'],
    [
      'bad client name',
      { postgres_clients: { '9lives': 'postgres://h/db' } },
      'postgres_clients: expected client name matching ^[A-Za-z_][A-Za-z0-9_-]{0,62}$, got "9lives"',
    ],
    [
      'bad URI scheme (password redacted)',
      { postgres_clients: { main: 'mysql://root:hunter2@h/db' } },
      'postgres_clients.main: expected URI starting with postgres:// or postgresql://, got "mysql://root:***@h/db"',
    ],
    [
      'cache memory bound out of range',
      { api: { cache: { memory_max_entries: 0 } } },
      'api.cache.memory_max_entries: expected integer 1..10000000, got 0',
    ],
    [
      'bad per-route cache TTL',
      { api: { cache: { ttl_seconds: { data: -1 } } } },
      'api.cache.ttl_seconds.data: expected integer 0..2592000 or empty, got -1',
    ],
    [
      'unknown cache route group',
      { api: { cache: { ttl_seconds: { fetch: 5 } } } },
      'api.cache.ttl_seconds.fetch: unknown key (allowed: gateway_fetch, gateway_data, data)',
    ],
    [
      'bad cache invalidation mode',
      { api: { cache: { invalidation: 'row' } } },
      'api.cache.invalidation: expected one of table, client, got "row"',
    ],
    [
      'wrong type for cors.origins',
      { api: { cors: { origins: 42 } } },
      'api.cors.origins: expected list of non-empty strings, got 42',
    ],
    [
      'bad list element',
      { api: { cors: { origins: ['a', { b: 1 }] } } },
      'api.cors.origins[1]: expected non-empty string, got {"b":1}',
    ],
    [
      'bad boolean',
      { gateway: { run_migrations: 'maybe' } },
      'gateway.run_migrations: expected boolean (true or false), got "maybe"',
    ],
    [
      'bad log level',
      { logging: { level: 'loud' } },
      'logging.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      'bad redis url',
      { redis: { url: 'http://x' } },
      'redis.url: expected URI starting with redis:// or rediss:// or empty, got "http://x"',
    ],
    ['section not a map', { gateway: [1, 2] }, 'gateway: expected map of keys, got [1,2]'],
    [
      'bad logging_pg_uri',
      { gateway: { logging_pg_uri: 'mongodb://x' } },
      'gateway.logging_pg_uri: expected URI starting with postgres:// or postgresql:// or empty, got "mongodb://x"',
    ],
    [
      'bad route prefix',
      { gateway: { admission_defer_route_prefixes: ['gateway/fetch'] } },
      'gateway.admission_defer_route_prefixes[0]: expected path starting with /, got "gateway/fetch"',
    ],
    [
      'unknown nested key',
      { gateway: { pool: { maxx: 3 } } },
      'gateway.pool.maxx: unknown key (allowed: max, idle_timeout_ms, connection_timeout_ms, statement_timeout_ms)',
    ],
    ['root not a map', ['a'], '(root): expected map of sections, got ["a"]'],
  ];

  it.each(cases)('%s', (_name, raw, line) => {
    expect(problems(raw)).toEqual([line]);
  });

  it('names the env var a bad fallback value came from', () => {
    expect(problems({}, { env: { ATHENA_LOG_LEVEL: 'verbose' } })).toEqual([
      'logging.level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose" (from env ATHENA_LOG_LEVEL)',
    ]);
  });

  it('reports every problem at once, one per line in the message', () => {
    let err: ConfigError | undefined;
    try {
      validateConfig(
        {
          api: { port: 'abc', prot: 1, cors: { origins: 42 } },
          gateway: { api_key_fail_mode: 'nope', pool: { max: -1 } },
          postgres_clients: { 'bad name': 'postgres://h/d', ok: 'mysql://h/d' },
          embedded: { port: 0 },
        },
        { ...base, source: '/etc/athena/config.yaml' },
      );
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([
      'api.port: expected integer 1..65535, got "abc"',
      'api.cors.origins: expected list of non-empty strings, got 42',
      'api.prot: unknown key (allowed: port, host, body_limit_bytes, request_timeout_ms, shutdown_grace_ms, shutdown_delay_ms, cache_ttl_seconds, cache, cors)',
      'gateway.api_key_fail_mode: expected one of fail_closed, fail_open, got "nope"',
      'gateway.pool.max: expected integer 1..500, got -1',
      'postgres_clients: expected client name matching ^[A-Za-z_][A-Za-z0-9_-]{0,62}$, got "bad name"',
      'postgres_clients.ok: expected URI starting with postgres:// or postgresql://, got "mysql://h/d"',
      'embedded.port: expected integer 1..65535, got 0',
    ]);
    expect(err!.source).toBe('/etc/athena/config.yaml');
    expect(err!.message.split('\n')).toEqual([
      'Invalid Athena configuration in /etc/athena/config.yaml (8 problems):',
      ...err!.problems.map((p) => `  ${p}`),
    ]);
  });
});
