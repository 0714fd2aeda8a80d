import { configProblems, TEST_VALIDATE_BASE } from './testing';
import { validateConfig, validateConfigWithWarnings } from './validate';

const base = TEST_VALIDATE_BASE;
const problems = configProblems;

describe('postgres_clients object form {uri, read_only}', () => {
  it('accepts a URI string or {uri, read_only}; read_only lands in postgres_client_options', () => {
    const c = validateConfig(
      {
        postgres_clients: {
          a: 'postgres://h/a',
          ro: { uri: 'jdbc:postgresql://h/r', read_only: 'yes' },
          rw: { uri: 'postgres://h/w' },
        },
      },
      base,
    );
    expect(c.postgres_clients).toEqual({ a: 'postgres://h/a', ro: 'postgresql://h/r', rw: 'postgres://h/w' });
    expect(c.postgres_client_options).toEqual({ ro: { read_only: true } });
  });

  it('an object with an empty uri is dropped with a warning naming the variable', () => {
    const r = validateConfigWithWarnings({ postgres_clients: { ro: { uri: '${RO_URI}', read_only: true } } }, base);
    expect(r.config.postgres_clients).toEqual({});
    expect(r.warnings).toEqual([
      'postgres_clients.ro.uri: URI is empty (environment variable RO_URI is not set); client "ro" is disabled',
    ]);
  });

  it('names a bad key, a bad read_only and a bad uri', () => {
    expect(problems({ postgres_clients: { ro: { uri: 'postgres://h/r', readonly: true } } })).toEqual([
      'postgres_clients.ro.readonly: expected uri or read_only (unknown key), got true',
    ]);
    expect(problems({ postgres_clients: { ro: { uri: 'postgres://h/r', read_only: 'maybe' } } })).toEqual([
      'postgres_clients.ro.read_only: expected boolean (true or false), got "maybe"',
    ]);
    expect(problems({ postgres_clients: { ro: { uri: 'mysql://h/r' } } })).toEqual([
      'postgres_clients.ro.uri: expected URI starting with postgres:// or postgresql://, got "mysql://h/r"',
    ]);
  });
});

describe('supabase_clients', () => {
  it('validates url/key/timeout and fills defaults', () => {
    const c = validateConfig(
      { supabase_clients: { sb: { url: 'https://abc.supabase.co/', key: '${SB_KEY}' } } },
      { ...base, env: { SB_KEY: 'k' } },
    );
    expect(c.supabase_clients).toEqual({
      sb: { url: 'https://abc.supabase.co', key: 'k', timeout_ms: 10000, schema: 'public' },
    });
  });

  it('drops a client whose url or key is empty, with a warning', () => {
    const r = validateConfigWithWarnings(
      { supabase_clients: { sb: { url: 'https://x.supabase.co', key: '${SB_KEY}' } } },
      base,
    );
    expect(r.config.supabase_clients).toBeUndefined();
    expect(r.warnings).toEqual([
      'supabase_clients.sb: key empty (environment variable SB_KEY is not set); client "sb" is disabled',
    ]);
  });

  it('names bad values and the reserved name', () => {
    expect(problems({ supabase_clients: { sb: { url: 'ftp://x', key: 'k' } } })).toEqual([
      'supabase_clients.sb.url: expected URL starting with https:// (or http://) or empty, got "ftp://x"',
    ]);
    expect(problems({ supabase_clients: { sb: { url: 'https://x', key: 'k', timeout: 5 } } })).toEqual([
      'supabase_clients.sb.timeout: unknown key (allowed: url, key, timeout_ms, schema)',
    ]);
    expect(problems({ supabase_clients: { custom_supabase: { url: 'https://x', key: 'k' } } })[0]).toContain(
      'reserved "custom_supabase"',
    );
  });
});

describe('gateway: custom_supabase, sql, direct_connections, health_cluster', () => {
  it('everything risky is off by default', () => {
    const c = validateConfig(null, base);
    expect(c.gateway.custom_supabase).toEqual({
      enabled: false,
      allowed_hosts: [],
      allow_http: false,
      allow_private_addresses: false,
      timeout_ms: 10000,
      max_clients: 32,
    });
    expect(c.gateway.direct_connections).toEqual({
      enabled: false,
      allowed_hosts: [],
      max_uris: 16,
      idle_evict_ms: 300000,
      pool_max: 5,
    });
    expect(c.gateway.sql).toEqual({ statement_timeout_ms: 30000 });
    expect(c.gateway.health_cluster).toEqual({ timeout_ms: 2000, cache_ms: 5000 });
    expect(c.gateway.supabase.breaker_reset_ms).toBe(10000);
  });

  it('rejects a bad host pattern', () => {
    expect(problems({ gateway: { direct_connections: { allowed_hosts: ['db.example.com', 'http://x/'] } } })).toEqual([
      'gateway.direct_connections.allowed_hosts[1]: expected host name, IP address or *.suffix, got "http://x/"',
    ]);
  });
});

describe('gateway.health_cluster.cache_ms floor (the route is unauthenticated)', () => {
  it('refuses 0 and anything under 500 ms, naming the key; accepts 500', () => {
    expect(problems({ gateway: { health_cluster: { cache_ms: 0 } } })).toEqual([
      'gateway.health_cluster.cache_ms: expected integer 500..3600000, got 0',
    ]);
    expect(problems({ gateway: { health_cluster: { cache_ms: 499 } } })[0]).toMatch(
      /^gateway\.health_cluster\.cache_ms: /,
    );
    expect(
      validateConfig({ gateway: { health_cluster: { cache_ms: 500 } } }, base).gateway.health_cluster.cache_ms,
    ).toBe(500);
  });
});

describe('client names are unique across backends and case-insensitively', () => {
  const pg = 'postgres://h/db';
  const scylla = { contact_points: ['127.0.0.1:9042'], local_data_center: 'dc1' };
  const sb = { url: 'https://x.supabase.co', key: 'k' };

  it('a name in postgres_clients and scylla_clients is an error naming both keys', () => {
    const p = problems({ postgres_clients: { shop: pg }, scylla_clients: { shop: scylla } });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('scylla_clients.shop');
    expect(p[0]).toContain('postgres_clients.shop');
  });

  it('compares case-insensitively, across sections and within one', () => {
    const across = problems({ scylla_clients: { Events: scylla }, supabase_clients: { events: sb } });
    expect(across).toHaveLength(1);
    expect(across[0]).toMatch(/^supabase_clients\.events: .*scylla_clients\.Events/);
    const within = problems({ postgres_clients: { main: pg, MAIN: pg } });
    expect(within).toHaveLength(1);
    expect(within[0]).toMatch(/postgres_clients\.MAIN: .*postgres_clients\.main/);
  });

  it('distinct names in every section still validate', () => {
    const c = validateConfig(
      { postgres_clients: { a: pg }, scylla_clients: { b: scylla }, supabase_clients: { c: sb } },
      base,
    );
    expect(Object.keys(c.postgres_clients)).toEqual(['a']);
    expect(Object.keys(c.scylla_clients)).toEqual(['b']);
    expect(Object.keys(c.supabase_clients ?? {})).toEqual(['c']);
  });
});
