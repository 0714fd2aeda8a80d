import type { AuthContext } from './auth-context';

/**
 * The transport-free description of one gateway call, built once at the edge (HTTP: the auth hook + the
 * `@Call()` parameter; WebSocket: the frame dispatcher; deferred worker: the stored job). Application services
 * take `(call, payload)` and return a `CallOutcome`; only the edge adapters know the transport.
 */
export interface GatewayCall {
  /** Correlates logs, traces and the error envelope (`request_id`). */
  readonly requestId: string;
  /** The logical client named by the caller (`X-Athena-Client`, trimmed); null when absent. */
  client: string | null;
  /** Ad-hoc targets named by the call itself (direct connection, custom Supabase); see RequestTargetResolver. */
  readonly target: TargetHints;
  /** Who is calling, as established by authentication; authorization reads it (libs/auth). */
  principal: Principal;
  /** What `Cache-Control` allows for this call. */
  readonly cache: CacheDirective;
  /** The raw strip-nulls flag of the call (`X-Strip-Nulls`); the payload's `strip_nulls` wins. */
  readonly stripNulls: string | undefined;
  /** Caller and tenant hints, recorded in the request/operation logs. */
  readonly tenant: TenantIds;
  /** Epoch milliseconds after which the caller no longer waits; null = no deadline of its own. */
  readonly deadline: number | null;
  /** Where the call came from: what the request/operation/auth logs record about it. */
  readonly origin: CallOrigin;
}

export interface TargetHints {
  /** Direct PostgreSQL URI (`x-pg-uri`, `X-JDBC-URL`, `x-athena-jdbc-url`), when the caller sent one. */
  readonly directUri: string | null;
  /** `x-supabase-url` / `x-supabase-key` (custom_supabase only). */
  readonly supabaseUrl: string | undefined;
  readonly supabaseKey: string | undefined;
}

export interface TenantIds {
  readonly userId: string | null;
  readonly companyId: string | null;
  readonly organizationId: string | null;
}

export interface CallOrigin {
  readonly transport: 'http' | 'websocket' | 'worker' | 'pipeline';
  /** HTTP method, or the method the call stands for (e.g. `POST` for a WebSocket fetch frame). */
  readonly method: string;
  /** Path and query string as received; redacted (`redactUrl`) before it is logged or stored. */
  readonly url: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly host: string | null;
}

/** What `Cache-Control` allows. */
export interface CacheDirective {
  /** False for `no-cache`, `max-age=0` and `no-store`. */
  read: boolean;
  /** False for `no-store`. */
  write: boolean;
}

export const CACHE_ALL: CacheDirective = Object.freeze({ read: true, write: true });

/**
 * The authenticated caller. `context` (kind, rights, cache scope) is public; the rest belongs to libs/auth
 * (the verified key, the presented credential for the audit log) and is never serialized.
 */
export interface Principal {
  readonly context: AuthContext;
}

/** What an application service answers; the edge maps it to status and headers (HTTP) or a frame (WebSocket). */
export interface CallOutcome<T = unknown> {
  body: T;
  /**
   * The same body already serialized as JSON (fetches: the cached bytes on a hit, the bytes just stored on a miss).
   * The HTTP edge sends it as it is instead of serializing `body` again; on a hit `body` is parsed only when a
   * transport reads it.
   */
  json?: string;
  status: number;
  /** Set by cached read routes. */
  cache?: { outcome: 'hit' | 'miss' | 'bypass'; tier: 'memory' | 'redis' | 'none'; key: string };
  /** The answer was cut to `gateway.max_rows` and the body cannot say so itself (a bare array). */
  truncated?: boolean;
}
