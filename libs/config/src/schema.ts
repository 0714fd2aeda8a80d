/**
 * Zod schema for config.yaml. Every key is optional in the file; the defaults below fill in. Leaf rules:
 * - an empty value (missing, `null`, `""`, or an unset `${VAR}`) means "use the default";
 * - numbers and booleans may be given as strings (they usually come from `${ENV}` tokens): `"4052"` → 4052,
 *   `"true"`/`"yes"`/`"on"`/`"1"` → true, `"false"`/`"no"`/`"off"`/`"0"` → false;
 * - string lists accept a YAML list or one comma-separated string (`"a, b"` → ["a", "b"]).
 * Sections `api`, `gateway`, `logging`, `redis`, `embedded` (and nested `api.cors`, `gateway.pool`) reject unknown
 * keys; `backup` keeps them (placeholder). Each issue's `message` is the "expected …" text; `validate.ts` turns
 * issues into `<key.path>: expected <…>, got <JSON>` lines.
 */
import { z } from 'zod';
import type { ApiKeyFailMode, LogLevel } from './config.types';
import { scyllaClientsSchema } from './scylla-config';

export const CLIENT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const API_KEY_FAIL_MODES: readonly ApiKeyFailMode[] = ['fail_closed', 'fail_open'];

export const EXPECT_CLIENT_NAME = `client name matching ${CLIENT_NAME_RE.source}`;
export const EXPECT_PG_URI = 'URI starting with postgres:// or postgresql://';
export const EXPECT_REDIS_URL = 'URI starting with redis:// or rediss://';

/** Defaults that are not constants (they depend on the user's data directory). */
export interface SchemaContext {
  /** `athenaDataDir(...)`: logging.directory defaults to `<dataDir>/logs`, embedded.data_dir to `<dataDir>/embedded-pg`. */
  dataDir: string;
  /** Path joiner for that data dir (posix or win32). */
  join: (...parts: string[]) => string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const FAIL = { ok: false } as const;

export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** A leaf: blank → default; otherwise `parse` decides, failing with `expected` as the issue message. */
function leaf<T>(expected: string, dflt: () => T, parse: (v: unknown) => Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (isBlank(v)) return dflt();
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: expected });
      return z.NEVER;
    }
    return r.value;
  });
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function int(min: number, max: number, dflt: number) {
  return leaf(`integer ${min}..${max}`, () => dflt, (v) => {
    const n = toNumber(v);
    return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? ok(n) : FAIL;
  });
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);
export function bool(dflt: boolean) {
  return leaf('boolean (true or false)', () => dflt, (v) => {
    if (typeof v === 'boolean') return ok(v);
    if (v === 1 || v === 0) return ok(v === 1);
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (TRUE.has(s)) return ok(true);
      if (FALSE.has(s)) return ok(false);
    }
    return FAIL;
  });
}

export function oneOf<T extends string>(values: readonly T[], dflt: T) {
  return leaf(`one of ${values.join(', ')}`, () => dflt, (v) => {
    const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    const hit = values.find((x) => x === s);
    return hit !== undefined ? ok(hit) : FAIL;
  });
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function str(dflt: () => string, expected = 'non-empty string') {
  return leaf(expected, dflt, (v) => {
    const s = scalarString(v);
    return s !== undefined ? ok(s) : FAIL;
  });
}

export function nullableStr() {
  return leaf<string | null>('string or empty', () => null, (v) => {
    const s = scalarString(v);
    return s !== undefined ? ok(s) : FAIL;
  });
}

export function clientNameOrNull() {
  return leaf<string | null>(`${EXPECT_CLIENT_NAME} or empty`, () => null, (v) =>
    typeof v === 'string' && CLIENT_NAME_RE.test(v.trim()) ? ok(v.trim()) : FAIL,
  );
}

/** `jdbc:postgresql://…` → `postgresql://…`; returns undefined unless the scheme is postgres:// or postgresql://. */
export function normalizePgUri(uri: string): string | undefined {
  let s = uri.trim();
  if (/^jdbc:postgresql:\/\//i.test(s)) s = s.slice('jdbc:'.length);
  return /^postgres(ql)?:\/\/\S+$/i.test(s) ? s : undefined;
}

export function pgUriOrNull() {
  return leaf<string | null>(`${EXPECT_PG_URI} or empty`, () => null, (v) => {
    const n = typeof v === 'string' ? normalizePgUri(v) : undefined;
    return n !== undefined ? ok(n) : FAIL;
  });
}

export function redisUrlOrNull() {
  return leaf<string | null>(`${EXPECT_REDIS_URL} or empty`, () => null, (v) =>
    typeof v === 'string' && /^rediss?:\/\/./i.test(v.trim()) ? ok(v.trim()) : FAIL,
  );
}

/** A list of strings (YAML list, or a comma-separated string); each element checked by `element`. */
export function strList(dflt: () => string[], element: { expected: string; test: (s: string) => boolean }) {
  return z.unknown().transform((v, ctx): string[] => {
    if (isBlank(v)) return dflt();
    let items: unknown[];
    if (typeof v === 'string') items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    else if (Array.isArray(v)) items = v;
    else {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `list of ${element.expected}s` });
      return z.NEVER;
    }
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = typeof item === 'string' ? item.trim() : undefined;
      if (s === undefined || !element.test(s)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: element.expected, path: [i] });
      } else out.push(s);
    });
    return out;
  });
}

/**
 * A map section: `null`/missing → all defaults; unknown keys rejected (`strict`) or kept (`passthrough`).
 * The unrecognized-keys issue carries the allowed keys as its message.
 */
function section<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z.object(shape, { errorMap: mapTypeError }).strict({ message: Object.keys(shape).join(', ') }),
  );
}
function looseSection<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z.object(shape, { errorMap: mapTypeError }).passthrough(),
  );
}
const mapTypeError: z.ZodErrorMap = (issue, ctx) =>
  issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of keys' } : { message: ctx.defaultError };

const nonEmpty = { expected: 'non-empty string', test: (s: string) => s !== '' };
const routePrefix = { expected: 'path starting with /', test: (s: string) => s.startsWith('/') };

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
          if (!CLIENT_NAME_RE.test(name)) {
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
                ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'uri or read_only (unknown key)', path: [name, k] });
              }
            }
            uri = d.uri;
            if (!isBlank(d.read_only)) {
              const r = bool(false).safeParse(d.read_only);
              if (!r.success) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'boolean (true or false)', path: [name, 'read_only'] });
              else readOnly = r.data;
            }
            if (isBlank(uri)) continue;
          }
          const n = typeof uri === 'string' ? normalizePgUri(uri) : undefined;
          if (n === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: EXPECT_PG_URI, path: typeof decl === 'object' ? [name, 'uri'] : [name] });
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
function supabaseClients() {
  const entry = section({
    url: leaf<string | null>(`${EXPECT_HTTP_URL} or empty`, () => null, (v) =>
      typeof v === 'string' && /^https?:\/\/[^\s/]+/i.test(v.trim()) ? ok(v.trim().replace(/\/+$/, '')) : FAIL),
    key: nullableStr(),
    timeout_ms: int(100, 600000, 10000),
    schema: str(() => 'public', 'schema name'),
  });
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z.record(z.string(), entry, {
      errorMap: (issue, ctx) =>
        issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of client name to {url, key, timeout_ms}' } : { message: ctx.defaultError },
    }).superRefine((rec, ctx) => {
      for (const name of Object.keys(rec)) {
        if (!CLIENT_NAME_RE.test(name)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: EXPECT_CLIENT_NAME, params: { got: name } });
        if (name.toLowerCase() === 'custom_supabase') {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a name other than the reserved "custom_supabase"', path: [name] });
        }
      }
    }),
  );
}

const hostPattern = { expected: 'host name, IP address or *.suffix', test: (s: string) => /^(\*\.)?[A-Za-z0-9.:_-]+$/.test(s) };

/** An integer in min..max, or blank → null ("inherit"). */
function intOrNull(min: number, max: number) {
  return leaf<number | null>(`integer ${min}..${max} or empty`, () => null, (v) => {
    const n = toNumber(v);
    return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? ok(n) : FAIL;
  });
}

/** `api.cache`: the response cache's tiers and limits (libs/cache). `api.cache_ttl_seconds` is the default TTL. */
function cacheSection() {
  return section({
    enabled: bool(true),
    memory_max_entries: int(1, 10000000, 10000),
    memory_max_bytes: int(1024, 68719476736, 67108864),
    max_entry_bytes: int(64, 536870912, 1048576),
    invalidation: oneOf(['table', 'client'] as const, 'table'),
    redis_enabled: bool(true),
    redis_key_prefix: str(() => 'athena:cache:'),
    redis_timeout_ms: int(10, 60000, 250),
    redis_cooldown_ms: int(0, 3600000, 5000),
    ttl_seconds: section({
      gateway_fetch: intOrNull(0, 2592000),
      gateway_data: intOrNull(0, 2592000),
      data: intOrNull(0, 2592000),
    }),
  });
}

export function buildConfigSchema(sc: SchemaContext) {
  const api = section({
    port: int(1, 65535, 4052),
    host: str(() => '0.0.0.0'),
    body_limit_bytes: int(1024, 536870912, 1048576),
    request_timeout_ms: int(1, 86400000, 30000),
    shutdown_grace_ms: int(0, 600000, 10000),
    shutdown_delay_ms: int(0, 600000, 0),
    cache_ttl_seconds: int(0, 2592000, 30),
    cache: cacheSection(),
    cors: section({
      enabled: bool(false),
      origins: strList(() => [], nonEmpty),
    }),
  });

  const gateway = section({
    logging_client: clientNameOrNull(),
    logging_pg_uri: pgUriOrNull(),
    auth_client: clientNameOrNull(),
    api_key_fail_mode: oneOf(API_KEY_FAIL_MODES, 'fail_closed'),
    database_backed_client_loading: bool(true),
    log_retention_secs: int(0, 315360000, 1209600),
    run_migrations: bool(true),
    force_camel_case_to_snake_case: bool(false),
    auto_cast_uuid_filter_values_to_text: bool(true),
    max_rows: int(1, 1000000, 10000),
    schema_refresh_ms: int(1000, 86400000, 30000),
    pool: section({
      max: int(1, 500, 10),
      idle_timeout_ms: int(0, 3600000, 30000),
      connection_timeout_ms: int(0, 600000, 5000),
      statement_timeout_ms: int(0, 86400000, 30000),
    }),
    admission_limit_enabled: bool(false),
    admission_global_requests_per_window: int(0, 1000000000, 0),
    admission_per_client_requests_per_window: int(0, 1000000000, 0),
    admission_window_secs: int(1, 86400, 1),
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
      breaker_volume_threshold: int(1, 100000, 5),
      breaker_error_threshold_percentage: int(1, 100, 50),
      breaker_rolling_window_ms: int(100, 3600000, 10000),
      breaker_reset_ms: int(100, 3600000, 10000),
    }),
    custom_supabase: section({
      enabled: bool(false),
      allowed_hosts: strList(() => [], hostPattern),
      allow_http: bool(false),
      allow_private_addresses: bool(false),
      timeout_ms: int(100, 600000, 10000),
      max_clients: int(1, 10000, 32),
    }),
    sql: section({
      statement_timeout_ms: int(0, 86400000, 30000),
    }),
    direct_connections: section({
      enabled: bool(false),
      allowed_hosts: strList(() => [], hostPattern),
      max_uris: int(1, 10000, 16),
      idle_evict_ms: int(1000, 86400000, 300000),
      pool_max: int(1, 500, 5),
    }),
    health_cluster: section({
      timeout_ms: int(50, 60000, 2000),
      // /health/cluster is unauthenticated: a floor keeps every hit from probing every backend.
      cache_ms: int(500, 3600000, 5000),
    }),
  });

  const logging = section({
    level: oneOf(LOG_LEVELS, 'info'),
    file_sinks: bool(false),
    directory: str(() => sc.join(sc.dataDir, 'logs')),
  });

  const redis = section({ url: redisUrlOrNull() });

  const backup = looseSection({
    bucket: nullableStr(),
    prefix: str(() => 'backups'),
    region: nullableStr(),
    endpoint: nullableStr(),
  });

  const embedded = section({
    enabled: bool(true),
    data_dir: str(() => sc.join(sc.dataDir, 'embedded-pg')),
    port: int(1, 65535, 54329),
  });

  return z
    .object(
      { api, gateway, postgres_clients: postgresClients(), scylla_clients: scyllaClientsSchema(), supabase_clients: supabaseClients(), logging, redis, backup, embedded },
      {
        errorMap: (issue, ctx) =>
          issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of sections' } : { message: ctx.defaultError },
      },
    )
    .passthrough();
}

/** The modelled top-level sections (anything else lands in `AthenaConfig.extra`). */
export const KNOWN_SECTIONS = ['api', 'gateway', 'postgres_clients', 'scylla_clients', 'supabase_clients', 'logging', 'redis', 'backup', 'embedded'] as const;
/** Sections the seed (athena_rs) defines that this version keeps unvalidated in `extra`. */
export const SEED_SECTIONS = ['urls', 'hosts', 'authenticator', 'validation_ranges'] as const;
