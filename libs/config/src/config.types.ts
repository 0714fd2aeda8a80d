/**
 * The typed, validated Athena configuration. `loadConfig()` turns config.yaml into this object;
 * every other module receives it through DI (`AthenaConfig` is both the type and the injection token).
 * Key names follow the seed (athena_rs) where it names them; see README "Configuration reference".
 */
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
  // Seed keys for later issues (admission + deferred queue); validated now so config files stay stable.
  admission_limit_enabled: boolean; // default false
  admission_global_requests_per_window: number; // default 0 (= unlimited)
  admission_per_client_requests_per_window: number; // default 0 (= unlimited)
  admission_window_secs: number; // default 1
  admission_defer_on_limit_enabled: boolean; // default false
  admission_defer_route_prefixes: string[]; // default ["/gateway/query", "/gateway/fetch"]
  deferred_query_worker_enabled: boolean; // default false
  deferred_query_worker_poll_ms: number; // default 1000
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
