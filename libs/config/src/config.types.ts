/**
 * The typed, validated Athena configuration. `loadConfig()` turns config.yaml into this object;
 * every other module receives it through DI (`AthenaConfig` is both the type and the injection token).
 * Key names follow the seed (athena_rs) where it names them; see README "Configuration reference".
 * Section types are derived from the zod schema (`schema.ts`, `scylla-config.ts`), which holds the defaults
 * and ranges; only the top level is written out here because `validate.ts` reshapes it.
 */
import type { z } from 'zod';
import type {
  apiSection,
  backupSection,
  embeddedSection,
  gatewaySection,
  loggingSection,
  PostgresClientDecl,
  redisSection,
  supabaseClientSection,
} from './schema';
import type { ScyllaClientConfig } from './scylla-config';

export type { ScyllaClientConfig } from './scylla-config';
export type { ApiKeyFailMode, LogLevel } from './schema';

type Out<F extends (...args: never[]) => z.ZodTypeAny> = z.output<ReturnType<F>>;

export type ApiConfig = Out<typeof apiSection>;
/** `api.cache`: two-tier response cache of the gateway read routes (memory LRU + optional Redis). */
export type CacheConfig = ApiConfig['cache'];
export type CorsConfig = ApiConfig['cors'];

export type GatewayConfig = Out<typeof gatewaySection>;
export type PoolConfig = GatewayConfig['pool'];
/** Circuit breaker shared by every Supabase client (one breaker instance per client). */
export type SupabaseBreakerConfig = GatewayConfig['supabase'];
/** The reserved client `custom_supabase` (x-supabase-url / x-supabase-key headers). Off by default. */
export type CustomSupabaseConfig = GatewayConfig['custom_supabase'];
export type SqlExecutorConfig = GatewayConfig['sql'];
/** X-JDBC-URL / x-pg-uri direct connections. Off by default. */
export type DirectConnectionsConfig = GatewayConfig['direct_connections'];
export type HealthClusterConfig = GatewayConfig['health_cluster'];

export type SupabaseClientConfig = Out<typeof supabaseClientSection>;
export type PostgresClientOptions = Omit<PostgresClientDecl, 'uri'>;
export type LoggingConfig = Out<typeof loggingSection>;
export type RedisConfig = Out<typeof redisSection>;
export type BackupConfig = Out<typeof backupSection>;
export type EmbeddedConfig = Out<typeof embeddedSection>;

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
   * `validation_ranges`), kept as parsed and env-interpolated.
   * Unvalidated: a later issue that uses one should add a typed section and a schema for it.
   */
  extra?: Record<string, unknown>;
}

/** DI token for the validated configuration. */
export const ATHENA_CONFIG = Symbol.for('athena.config');
