/**
 * The typed, validated Athena configuration. `loadConfig()` turns config.yaml into this object;
 * every other module receives it through DI (`AthenaConfig` is both the type and the injection token).
 * Key names follow the seed (athena_rs) where it names them; see README "Configuration reference".
 */
import type { ScyllaClientConfig } from './scylla-config';

export type { ScyllaClientConfig } from './scylla-config';
export type ApiKeyFailMode = 'fail_closed' | 'fail_open';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CorsConfig {
  /** Turn CORS handling on. */
  enabled: boolean;
  /** Allowed origins; `["*"]` allows any origin. */
  origins: string[];
}

export interface ApiConfig {
  port: number; // 1..65535, default 4052 (tests bind port 0 through StartOptions.adjustConfig)
  host: string; // default "0.0.0.0"
  body_limit_bytes: number; // default 1 MiB (1048576), 1 KiB .. 512 MiB
  request_timeout_ms: number; // default 30000
  shutdown_grace_ms: number; // default 10000: how long in-flight requests may finish on SIGTERM
  shutdown_delay_ms: number; // default 0: keep serving (with /ready = 503) this long after SIGTERM before closing, so load balancers notice
  cache_ttl_seconds: number; // default 30: TTL of cached gateway reads, 0..2592000 (0 = no caching)
  cache: CacheConfig; // the response cache (libs/cache)
  cors: CorsConfig; // default { enabled: false, origins: [] }
}

/** `api.cache`: two-tier response cache of the gateway read routes (memory LRU + optional Redis). */
export interface CacheConfig {
  enabled: boolean; // default true (a TTL of 0 also turns caching off)
  memory_max_entries: number; // default 10000: LRU bound on entries in the in-process tier
  memory_max_bytes: number; // default 64 MiB: LRU bound on the serialized size of the in-process tier
  max_entry_bytes: number; // default 1 MiB: larger answers are not cached
  invalidation: 'table' | 'client'; // default table: a write drops the (client, table) entries; client = all of the client's
  redis_enabled: boolean; // default true: use redis.url (when set) as the shared second tier
  redis_key_prefix: string; // default "athena:cache:" (entries, generations and the invalidation channel)
  redis_timeout_ms: number; // default 250: connect/command timeout of the cache's Redis connection
  redis_cooldown_ms: number; // default 5000: after a Redis failure, skip Redis this long before trying again
  /** Per route group TTL overrides (seconds; null = api.cache_ttl_seconds). */
  ttl_seconds: { gateway_fetch: number | null; gateway_data: number | null; data: number | null };
}

export interface PoolConfig {
  max: number; // default 10, 1..500
  idle_timeout_ms: number; // default 30000
  connection_timeout_ms: number; // default 5000
  statement_timeout_ms: number; // default 30000 (0 = none)
}

export interface GatewayConfig {
  logging_client: string | null; // name of the control-plane client (env ATHENA_GATEWAY_LOGGING_CLIENT)
  logging_pg_uri: string | null; // control-plane URI (env POSTGRES_ATHENA_LOGGING_URI); null → embedded default
  auth_client: string | null; // falls back to logging_client
  api_key_fail_mode: ApiKeyFailMode; // default fail_closed
  database_backed_client_loading: boolean; // default true
  log_retention_secs: number; // default 1209600
  run_migrations: boolean; // default true: run control-plane migrations at boot
  force_camel_case_to_snake_case: boolean; // default false
  auto_cast_uuid_filter_values_to_text: boolean; // default true
  max_rows: number; // default 10000, 1..1000000: hard cap on rows one fetch returns (truncated:true when hit); no separate default limit
  schema_refresh_ms: number; // default 30000: background refresh of the per-client schema cache
  pool: PoolConfig;
  // Admission control and the deferred queue (README "Admission control", "Deferred queue").
  admission_limit_enabled: boolean; // default false
  admission_global_requests_per_window: number; // default 0 (= unlimited)
  admission_per_client_requests_per_window: number; // default 0 (= unlimited)
  admission_window_secs: number; // default 1
  admission_defer_on_limit_enabled: boolean; // default false
  admission_redis_key_prefix: string; // default "athena:admission:": Redis keys of the shared budgets
  admission_defer_route_prefixes: string[]; // default ["/gateway/query", "/gateway/fetch"]
  deferred_query_worker_enabled: boolean; // default false
  deferred_query_worker_poll_ms: number; // default 1000: idle poll period of the worker (a finished job claims the next at once)
  deferred_query_worker_concurrency: number; // default 4: jobs one worker runs at a time
  deferred_query_lease_ms: number; // default 30000: a running job's lease, renewed while it runs; expired = worker lost
  deferred_query_max_attempts: number; // default 3: claims of a read-only job before it is marked failed
  deferred_query_result_max_bytes: number; // default 1 MiB: stored result cap (rows cut, truncated: true)
  deferred_queue_retention_secs: number; // default 1209600: completed/failed jobs older than this are purged (0 = keep)
  supabase: SupabaseBreakerConfig;
  custom_supabase: CustomSupabaseConfig;
  sql: SqlExecutorConfig;
  direct_connections: DirectConnectionsConfig;
  health_cluster: HealthClusterConfig;
}

/** Circuit breaker shared by every Supabase client (one breaker instance per client). */
export interface SupabaseBreakerConfig {
  breaker_volume_threshold: number; // default 5: failures counted only after this many calls in the window
  breaker_error_threshold_percentage: number; // default 50: open when this share of calls in the window failed
  breaker_rolling_window_ms: number; // default 10000
  breaker_reset_ms: number; // default 10000: how long an open breaker fails fast before one trial call
}

/** The reserved client `custom_supabase` (x-supabase-url / x-supabase-key headers). Off by default. */
export interface CustomSupabaseConfig {
  enabled: boolean; // default false
  allowed_hosts: string[]; // exact host names / IPs, or `*.suffix`; empty = none allowed
  allow_http: boolean; // default false: https:// only
  allow_private_addresses: boolean; // default false: refuse hosts resolving to private/loopback/link-local addresses
  timeout_ms: number; // default 10000
  max_clients: number; // default 32: distinct (url, key) pairs kept warm
}

export interface SqlExecutorConfig {
  statement_timeout_ms: number; // default 30000 (0 = none): per-statement timeout for POST /query/sql
}

/** X-JDBC-URL / x-pg-uri direct connections. Off by default. */
export interface DirectConnectionsConfig {
  enabled: boolean; // default false
  allowed_hosts: string[]; // exact host names / IPs, or `*.suffix`; empty = none allowed
  max_uris: number; // default 16: distinct URIs with a live pool at once
  idle_evict_ms: number; // default 300000: close a direct pool unused this long
  pool_max: number; // default 5: connections per direct pool
}

export interface HealthClusterConfig {
  timeout_ms: number; // default 2000: per-client probe timeout
  cache_ms: number; // default 5000: how long one /health/cluster answer is reused
}

export interface SupabaseClientConfig {
  url: string | null; // project URL, e.g. https://abc.supabase.co (null → client disabled)
  key: string | null; // service or anon key (a secret; null → client disabled)
  timeout_ms: number; // default 10000: per-request timeout
  schema: string; // default "public"
}

export interface PostgresClientOptions {
  read_only: boolean; // default false
}

export interface LoggingConfig {
  level: LogLevel; // default info
  file_sinks: boolean; // default false: success.log / error.log in `directory`
  directory: string; // default "<athena data dir>/logs"
}

export interface RedisConfig {
  url: string | null; // e.g. redis://127.0.0.1:6379/0; null/empty → no Redis
}

export interface BackupConfig {
  bucket: string | null;
  prefix: string; // default "backups"
  region: string | null;
  endpoint: string | null;
}

export interface EmbeddedConfig {
  /** Start an embedded PostgreSQL when no control-plane URI is configured. Default true. */
  enabled: boolean;
  data_dir: string | null; // default "<athena data dir>/embedded-pg"
  port: number; // default 54329
}

export interface AthenaConfig {
  api: ApiConfig;
  gateway: GatewayConfig;
  /** client name → PostgreSQL URI (after ${ENV} interpolation; an unset env var leaves the client disabled). */
  postgres_clients: Record<string, string>;
  /** client name → ScyllaDB/Cassandra settings (README "ScyllaDB / Cassandra"). */
  scylla_clients: Record<string, ScyllaClientConfig>;
  /** Per-client options from the object form `{uri, read_only}` of `postgres_clients` (absent → defaults). */
  postgres_client_options?: Record<string, PostgresClientOptions>;
  /** client name → Supabase project (entries with an empty url or key are dropped with a warning). */
  supabase_clients?: Record<string, SupabaseClientConfig>;
  logging: LoggingConfig;
  redis: RedisConfig;
  backup: BackupConfig;
  embedded: EmbeddedConfig;
  /**
   * Top-level sections this version does not model yet (e.g. the seed's `urls`, `hosts`, `authenticator`,
   * `validation_ranges`, `scylla_clients`, `supabase_clients`), kept as parsed and env-interpolated.
   * Unvalidated: a later issue that uses one should add a typed section and a schema for it.
   */
  extra?: Record<string, unknown>;
}

/** DI token for the validated configuration. */
export const ATHENA_CONFIG = Symbol.for('athena.config');
