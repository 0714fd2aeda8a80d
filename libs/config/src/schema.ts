/**
 * Zod schema for config.yaml. Every key is optional in the file; the defaults below fill in. Leaf rules:
 * - an empty value (missing, `null`, `""`, or an unset `${VAR}`) means "use the default";
 * - numbers and booleans may be given as strings (they usually come from `${ENV}` tokens): `"4052"` → 4052,
 *   `"true"`/`"yes"`/`"on"`/`"1"` → true, `"false"`/`"no"`/`"off"`/`"0"` → false;
 * - string lists accept a YAML list or one comma-separated string (`"a, b"` → ["a", "b"]).
 * Sections `api`, `gateway`, `logging`, `redis`, `embedded` (and nested `api.cors`, `gateway.pool`) reject unknown
 * keys; `backup` keeps them. Each issue's `message` is the "expected …" text; `validate.ts` turns
 * issues into `<key.path>: expected <…>, got <JSON>` lines.
 */
import { z } from 'zod';
import { isValidClientName } from '@athena/common';
import {
  bool,
  EXPECT_CLIENT_NAME,
  EXPECT_PG_URI,
  FAIL,
  int,
  isBlank,
  leaf,
  looseSection,
  nonEmpty,
  normalizePgUri,
  nullableStr,
  ok,
  oneOf,
  optional,
  pgUriOrNull,
  redisUrlOrNull,
  routePrefix,
  SchemaContext,
  section,
  str,
  strList,
  toNumber,
  clientNameOrNull,
} from './schema-primitives';
import { backupSchedules } from './backup-schedules';
import { scyllaClientsSchema } from './scylla-config';

export {
  bool,
  clientNameOrNull,
  EXPECT_CLIENT_NAME,
  EXPECT_PG_URI,
  EXPECT_REDIS_URL,
  int,
  isBlank,
  normalizePgUri,
  nullableStr,
  oneOf,
  pgUriOrNull,
  redisUrlOrNull,
  str,
  strList,
} from './schema-primitives';
export type { SchemaContext } from './schema-primitives';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const API_KEY_FAIL_MODES = ['fail_closed', 'fail_open'] as const;
export type ApiKeyFailMode = (typeof API_KEY_FAIL_MODES)[number];

/**
 * `postgres_clients`: name → URI, or name → `{uri, read_only}` (read_only: the client only accepts statements
 * PostgreSQL allows in a READ ONLY transaction). Blank URIs are dropped earlier (with a warning) by `validate.ts`.
 */
function postgresClients() {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z
      .record(z.string(), z.unknown(), {
        errorMap: (issue, ctx) =>
          issue.code === z.ZodIssueCode.invalid_type
            ? { message: `map of client name to ${EXPECT_PG_URI}` }
            : { message: ctx.defaultError },
      })
      .transform((rec, ctx) => {
        const out: Record<string, PostgresClientDecl> = {};
        for (const [name, decl] of Object.entries(rec)) {
          if (!isValidClientName(name)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: EXPECT_CLIENT_NAME, params: { got: name } });
            continue;
          }
          if (isBlank(decl)) continue;
          let uri: unknown = decl;
          let readOnly = false;
          if (decl !== null && typeof decl === 'object' && !Array.isArray(decl)) {
            const d = decl as Record<string, unknown>;
            for (const k of Object.keys(d)) {
              if (k !== 'uri' && k !== 'read_only') {
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  message: 'uri or read_only (unknown key)',
                  path: [name, k],
                });
              }
            }
            uri = d.uri;
            if (!isBlank(d.read_only)) {
              const r = bool(false).safeParse(d.read_only);
              if (!r.success)
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  message: 'boolean (true or false)',
                  path: [name, 'read_only'],
                });
              else readOnly = r.data;
            }
            if (isBlank(uri)) continue;
          }
          const n = typeof uri === 'string' ? normalizePgUri(uri) : undefined;
          if (n === undefined)
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              message: EXPECT_PG_URI,
              path: typeof decl === 'object' ? [name, 'uri'] : [name],
            });
          else out[name] = { uri: n, read_only: readOnly };
        }
        return out;
      }),
  );
}

export interface PostgresClientDecl {
  uri: string;
  read_only: boolean;
}

const EXPECT_HTTP_URL = 'URL starting with https:// (or http://)';

/** `supabase_clients`: name → `{url, key, timeout_ms, schema}` (url and key usually `${ENV}` tokens). */
export function supabaseClientSection() {
  return section({
    url: leaf<string | null>(
      `${EXPECT_HTTP_URL} or empty`,
      () => null,
      (v) => (typeof v === 'string' && /^https?:\/\/[^\s/]+/i.test(v.trim()) ? ok(v.trim().replace(/\/+$/, '')) : FAIL),
    ),
    key: nullableStr(),
    timeout_ms: int(100, 600000, 10000),
    schema: str(() => 'public', 'schema name'),
  });
}

function supabaseClients() {
  const entry = supabaseClientSection();
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z
      .record(z.string(), entry, {
        errorMap: (issue, ctx) =>
          issue.code === z.ZodIssueCode.invalid_type
            ? { message: 'map of client name to {url, key, timeout_ms}' }
            : { message: ctx.defaultError },
      })
      .superRefine((rec, ctx) => {
        for (const name of Object.keys(rec)) {
          if (!isValidClientName(name))
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: EXPECT_CLIENT_NAME, params: { got: name } });
          if (name.toLowerCase() === 'custom_supabase') {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              message: 'a name other than the reserved "custom_supabase"',
              path: [name],
            });
          }
        }
      }),
  );
}

const hostPattern = {
  expected: 'host name, IP address or *.suffix',
  test: (s: string) => /^(\*\.)?[A-Za-z0-9.:_-]+$/.test(s),
};

/** An integer in min..max, or blank → null ("inherit"). */
function intOrNull(min: number, max: number) {
  return leaf<number | null>(
    `integer ${min}..${max} or empty`,
    () => null,
    (v) => {
      const n = toNumber(v);
      return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? ok(n) : FAIL;
    },
  );
}

/** `api.cache`: the response cache's tiers and limits (libs/cache). `api.cache_ttl_seconds` is the default TTL. */
function cacheSection() {
  return section({
    enabled: bool(true),
    memory_max_entries: int(1, 10000000, 10000), // LRU bound on entries in the in-process tier
    memory_max_bytes: int(1024, 68719476736, 67108864), // LRU bound on the serialized size of the in-process tier
    max_entry_bytes: int(64, 536870912, 1048576), // larger answers are not cached
    invalidation: oneOf(['table', 'client'] as const, 'table'), // a write drops the (client, table) entries, or all of the client's
    redis_enabled: bool(true), // use redis.url (when set) as the shared second tier
    redis_key_prefix: str(() => 'athena:cache:'),
    redis_timeout_ms: int(10, 60000, 250),
    redis_cooldown_ms: int(0, 3600000, 5000), // after a Redis failure, skip Redis this long
    ttl_seconds: section({
      gateway_fetch: intOrNull(0, 2592000),
      gateway_data: intOrNull(0, 2592000),
      data: intOrNull(0, 2592000),
    }),
  });
}

/** `api`: the HTTP server. */
export function apiSection() {
  return section({
    port: int(1, 65535, 4052),
    host: str(() => '0.0.0.0'),
    body_limit_bytes: int(1024, 536870912, 1048576),
    request_timeout_ms: int(1, 86400000, 30000),
    shutdown_grace_ms: int(0, 600000, 10000), // how long in-flight requests may finish on SIGTERM
    shutdown_delay_ms: int(0, 600000, 0), // keep serving (with /ready = 503) this long after SIGTERM so load balancers notice
    cache_ttl_seconds: int(0, 2592000, 30), // TTL of cached gateway reads (0 = no caching)
    cache: cacheSection(),
    cors: section({
      enabled: bool(false),
      origins: strList(() => [], nonEmpty),
    }),
  });
}

/** `gateway`: control plane, pools, limits and the gateway features. */
export function gatewaySection() {
  return section({
    logging_client: clientNameOrNull(), // name of the control-plane client (env ATHENA_GATEWAY_LOGGING_CLIENT)
    logging_pg_uri: pgUriOrNull(), // control-plane URI (env POSTGRES_ATHENA_LOGGING_URI); null → embedded default
    auth_client: clientNameOrNull(), // falls back to logging_client
    api_key_fail_mode: oneOf(API_KEY_FAIL_MODES, 'fail_closed'),
    database_backed_client_loading: bool(true),
    log_retention_secs: int(0, 315360000, 1209600),
    run_migrations: bool(true), // run control-plane migrations at boot
    force_camel_case_to_snake_case: bool(false),
    auto_cast_uuid_filter_values_to_text: bool(true),
    max_rows: int(1, 1000000, 10000), // hard cap on rows one fetch returns (truncated: true when hit)
    schema_refresh_ms: int(1000, 86400000, 30000), // background refresh of the per-client schema cache
    pool: section({
      max: int(1, 500, 10),
      idle_timeout_ms: int(0, 3600000, 30000),
      connection_timeout_ms: int(0, 600000, 5000),
      statement_timeout_ms: int(0, 86400000, 30000), // 0 = none
    }),
    admission_limit_enabled: bool(false),
    admission_global_requests_per_window: int(0, 1000000000, 0), // 0 = unlimited
    admission_per_client_requests_per_window: int(0, 1000000000, 0), // 0 = unlimited
    admission_window_secs: int(1, 86400, 1),
    // Most calls a budget admits at once (its burst); 0 = a whole window's budget. Under sustained overload
    // admissions are spread evenly either way; a smaller burst also smooths the onset of an overload.
    admission_burst_requests: int(0, 1000000000, 0),
    admission_defer_on_limit_enabled: bool(false),
    admission_redis_key_prefix: str(() => 'athena:admission:'),
    admission_defer_route_prefixes: strList(() => ['/gateway/query', '/gateway/fetch'], routePrefix),
    deferred_query_worker_enabled: bool(false),
    deferred_query_worker_poll_ms: int(10, 3600000, 1000),
    deferred_query_worker_concurrency: int(1, 256, 4),
    deferred_query_lease_ms: int(1000, 3600000, 30000),
    deferred_query_max_attempts: int(1, 100, 3),
    deferred_query_result_max_bytes: int(1024, 67108864, 1048576),
    deferred_queue_retention_secs: int(0, 315360000, 1209600),
    // Supabase adapter, custom_supabase, /query/sql, direct connections, /health/cluster (issue 6).
    supabase: section({
      breaker_volume_threshold: int(1, 100000, 5), // failures counted only after this many calls in the window
      breaker_error_threshold_percentage: int(1, 100, 50), // open when this share of calls in the window failed
      breaker_rolling_window_ms: int(100, 3600000, 10000),
      breaker_reset_ms: int(100, 3600000, 10000), // how long an open breaker fails fast before one trial call
    }),
    custom_supabase: section({
      enabled: bool(false),
      allowed_hosts: strList(() => [], hostPattern), // exact names / IPs or `*.suffix`; empty = none allowed
      allow_http: bool(false), // https:// only unless set
      allow_private_addresses: bool(false), // refuse hosts resolving to private/loopback/link-local addresses
      timeout_ms: int(100, 600000, 10000),
      max_clients: int(1, 10000, 32), // distinct (url, key) pairs kept warm
    }),
    sql: section({
      statement_timeout_ms: int(0, 86400000, 30000), // per statement of POST /query/sql (0 = none)
    }),
    direct_connections: section({
      enabled: bool(false),
      allowed_hosts: strList(() => [], hostPattern), // exact names / IPs or `*.suffix`; empty = none allowed
      max_uris: int(1, 10000, 16), // distinct URIs with a live pool at once
      idle_evict_ms: int(1000, 86400000, 300000), // close a direct pool unused this long
      pool_max: int(1, 500, 5), // connections per direct pool
    }),
    health_cluster: section({
      timeout_ms: int(50, 60000, 2000), // per-client probe timeout
      // /health/cluster is unauthenticated: a floor keeps every hit from probing every backend.
      cache_ms: int(500, 3600000, 5000),
    }),
    // WebSocket gateway `/wss/gateway` and live subscriptions (libs/realtime, issue 14).
    websocket: section({
      enabled: bool(true),
      max_connections: int(1, 1000000, 10000), // per instance
      max_connections_per_key: int(1, 1000000, 100), // per presented API key (public id) on one instance
      max_in_flight: int(1, 1024, 16), // requests processed concurrently per connection; more → reading pauses
      max_frame_bytes: int(256, 67108864, 1048576), // larger text frames get a frame_too_large error frame
      send_queue_max_bytes: int(1024, 1073741824, 4194304), // unsent bytes before a slow consumer is closed (4008)
      max_subscriptions: int(0, 100000, 64), // per connection
      heartbeat_ms: int(0, 3600000, 30000), // ping interval; a connection that missed the last pong is dropped (0 = off)
      idle_timeout_ms: int(0, 86400000, 300000), // close after this long without frames or subscriptions (0 = off)
      close_grace_ms: int(0, 600000, 5000), // after a close frame, terminate the socket this long later
      events_channel: str(() => 'athena:events'), // Redis pub/sub channel shared by the instances
    }),
    pipelines_path: nullableStr(), // templates file; default `config/pipelines.yaml` under the working directory
  });
}

export function loggingSection(sc: SchemaContext) {
  return section({
    level: oneOf(LOG_LEVELS, 'info'),
    file_sinks: bool(false), // success.log / error.log in `directory`
    directory: str(() => sc.join(sc.dataDir, 'logs')),
  });
}

export function redisSection() {
  return section({ url: redisUrlOrNull() });
}

/** `backup`: placeholder; unknown keys are kept. */
export function backupSection() {
  return looseSection({
    bucket: nullableStr(),
    prefix: str(() => 'backups'),
    region: nullableStr(),
    endpoint: nullableStr(),
    force_path_style: optional(bool(false)),
    access_key_id: optional(nullableStr()),
    secret_access_key: optional(nullableStr()),
    max_concurrent_jobs: optional(int(1, 64, 2)),
    part_size_mb: optional(int(5, 512, 5)),
    queue_size: optional(int(1, 16, 2)),
    wait_ms: optional(int(0, 86400000, 25000)),
    pg_bin_dir: optional(nullableStr()),
    schedules: optional(backupSchedules()), // see backup-schedules.ts
  });
}

export function embeddedSection(sc: SchemaContext) {
  return section({
    enabled: bool(true), // start an embedded PostgreSQL when no control-plane URI is configured
    data_dir: str(() => sc.join(sc.dataDir, 'embedded-pg')),
    port: int(1, 65535, 54329),
  });
}

export function buildConfigSchema(sc: SchemaContext) {
  return z
    .object(
      {
        api: apiSection(),
        gateway: gatewaySection(),
        postgres_clients: postgresClients(),
        scylla_clients: scyllaClientsSchema(),
        supabase_clients: supabaseClients(),
        logging: loggingSection(sc),
        redis: redisSection(),
        backup: backupSection(),
        embedded: embeddedSection(sc),
      },
      {
        errorMap: (issue, ctx) =>
          issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of sections' } : { message: ctx.defaultError },
      },
    )
    .passthrough();
}

/** The modelled top-level sections (anything else lands in `AthenaConfig.extra`). */
export const KNOWN_SECTIONS = [
  'api',
  'gateway',
  'postgres_clients',
  'scylla_clients',
  'supabase_clients',
  'logging',
  'redis',
  'backup',
  'embedded',
] as const;
/** Sections the seed (athena_rs) defines that this version keeps unvalidated in `extra`. */
export const SEED_SECTIONS = ['urls', 'hosts', 'authenticator', 'validation_ranges'] as const;
