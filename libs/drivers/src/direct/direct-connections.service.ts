import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { Counter, Gauge } from 'prom-client';
import { firstHeader } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig, normalizePgUri } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import { egressId } from '../egress-id';
import { hostAllowed } from '../host-guard';
import { BackendDriver } from '../backend-driver';
import { PostgresDriverFactory } from '../driver-factories';
import { DriversErrors } from '../errors';

const TRIM = { trim: true } as const;

const FIRST_CONNECT_TIMEOUT_MS = 10_000;

/** Request headers that name a direct PostgreSQL connection, in order of preference (reference §1.1). */
export const DIRECT_CONNECTION_HEADERS = ['x-pg-uri', 'x-athena-jdbc-url', 'x-jdbc-url'] as const;

/** The direct-connection URI a request carries, if any (first non-empty of the headers above). */
export function directConnectionHeader(headers: Record<string, string | string[] | undefined>): string | null {
  for (const h of DIRECT_CONNECTION_HEADERS) {
    const s = firstHeader(headers, h, TRIM);
    if (s) return s;
  }
  return null;
}

/**
 * True when a request targets a direct connection. Direct-URI requests are never deferred (reference §1.1):
 * the deferred queue must not persist a caller's connection string, so it runs them inline or refuses them.
 */
export function isDirectConnectionRequest(headers: Record<string, string | string[] | undefined>): boolean {
  return directConnectionHeader(headers) !== null;
}

interface Pooled {
  driver: BackendDriver;
  lastUsed: number;
}

/** The only query parameters a direct-connection URI may carry (none of them reads files or redirects the connection). */
export const ALLOWED_URI_PARAMS: ReadonlySet<string> = new Set(['sslmode', 'application_name', 'connect_timeout']);
const SSL_MODES: ReadonlySet<string> = new Set([
  'disable',
  'prefer',
  'require',
  'no-verify',
  'verify-ca',
  'verify-full',
]);

/** Name used for direct connections in logs and metrics (bounded label; the URI itself is never recorded). */
export const DIRECT_CLIENT_LABEL = 'direct_connection';

/**
 * Direct connections (`X-JDBC-URL` / `x-pg-uri`): off by default. When on, the URI's host must be in
 * `gateway.direct_connections.allowed_hosts`, it must carry its own user and password, and only the query parameters in
 * `ALLOWED_URI_PARAMS` are accepted; each distinct URI gets its own small pool (`pool_max`), at most
 * `max_uris` pools live at once, and a pool unused for `idle_evict_ms` is closed. URIs are secrets: pools are
 * keyed and named by an HMAC under a per-process random key (`egressId`), never by the URI; metrics label them
 * `direct_connection`.
 */
@Injectable()
export class DirectConnectionService implements OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly pools = new Map<string, Pooled>();
  private readonly opening = new Map<string, Promise<BackendDriver>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly refusals: Counter<'reason'>;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    metrics: MetricsService,
    private readonly postgres: PostgresDriverFactory,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'direct-connections' });
    this.refusals = new Counter({
      name: 'athena_direct_connection_refusals_total',
      help: 'Direct-connection requests refused, by reason (disabled|invalid_uri|host|limit|connect_failed)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    });
    const pools = this.pools;
    new Gauge({
      name: 'athena_direct_connection_pools',
      help: 'Direct-connection pools currently open',
      registers: [metrics.registry],
      collect() {
        this.set(pools.size);
      },
    });
  }

  /**
   * The pool for `rawUri`: synchronous when it is already open; a promise when it is opened now (settles after
   * the first connection succeeds, or rejects with the mapped connection error, holding no slot).
   */
  resolve(rawUri: string): BackendDriver | Promise<BackendDriver> {
    const c = this.config.gateway.direct_connections;
    if (!c.enabled) {
      this.refusals.inc({ reason: 'disabled' });
      throw DriversErrors.directConnectionNotAllowed(
        'Direct connections are disabled',
        'This gateway does not accept X-JDBC-URL / x-pg-uri (gateway.direct_connections.enabled is false); use a registered client in X-Athena-Client',
      );
    }
    // One pool per database, however the scheme is spelled (jdbc:postgresql://, postgres://, postgresql://).
    const uri = normalizePgUri(rawUri)?.replace(/^postgres(ql)?:\/\//i, 'postgresql://');
    let parsed: URL | null = null;
    if (uri) {
      try {
        parsed = new URL(uri);
      } catch {
        parsed = null;
      }
    }
    if (!uri || !parsed || !parsed.hostname) {
      this.invalidUri(
        'X-JDBC-URL / x-pg-uri must be one postgres://user:pass@host:port/db URI (jdbc:postgresql:// is accepted)',
      );
    }
    // Without credentials in the URI, pg would fill them in from the gateway's own PGUSER / PGPASSWORD / ~/.pgpass:
    // the caller would be connecting with the gateway's identity.
    if (!parsed.username || !parsed.password) {
      this.invalidUri(
        'The URI must carry both a user name and a password (postgres://user:pass@host:port/db); the gateway never supplies credentials of its own',
      );
    }
    // Query parameters are an allow-list: others (sslcert, sslkey, sslrootcert, passfile, host, options, …) would make
    // pg read files on the gateway host, connect elsewhere, or set server options.
    for (const [name, value] of parsed.searchParams) {
      if (!ALLOWED_URI_PARAMS.has(name)) {
        this.invalidUri(
          `Query parameter "${name}" is not accepted in a direct-connection URI; allowed: ${[...ALLOWED_URI_PARAMS].join(', ')}`,
        );
      }
      if (name === 'sslmode' && !SSL_MODES.has(value)) {
        this.invalidUri(`sslmode "${value}" is not one of ${[...SSL_MODES].join(', ')}`);
      }
    }
    const host = parsed.hostname;
    if (!hostAllowed(host, c.allowed_hosts)) {
      this.refusals.inc({ reason: 'host' });
      throw DriversErrors.directConnectionHostNotAllowed(
        'Host not allowed for direct connections',
        `Host "${host}" is not in gateway.direct_connections.allowed_hosts`,
      );
    }
    const id = egressId(uri);
    const now = Date.now();
    const hit = this.pools.get(id);
    if (hit) {
      hit.lastUsed = now;
      return hit.driver;
    }
    const opening = this.opening.get(id);
    if (opening) return opening;
    // Pools still opening hold a slot too, so a burst of new URIs cannot overshoot max_uris.
    if (this.pools.size + this.opening.size >= c.max_uris) this.evictIdle(now);
    if (this.pools.size + this.opening.size >= c.max_uris) {
      this.refusals.inc({ reason: 'limit' });
      throw DriversErrors.directConnectionLimitReached(
        'Too many direct connections',
        `This gateway keeps at most ${c.max_uris} direct-connection pools (gateway.direct_connections.max_uris) and all are in use; retry later or register the database as a client`,
        undefined,
        { 'Retry-After': String(Math.max(1, Math.ceil(c.idle_evict_ms / 1000))) },
      );
    }
    const g = this.config.gateway;
    const driver = this.postgres.create({
      clientName: `direct:${id.slice(0, 12)}`,
      uri,
      poolMax: c.pool_max,
      idleTimeoutMs: Math.min(g.pool.idle_timeout_ms || c.idle_evict_ms, c.idle_evict_ms),
      connectionTimeoutMs: g.pool.connection_timeout_ms,
      statementTimeoutMs: g.pool.statement_timeout_ms,
      schemaRefreshMs: g.schema_refresh_ms,
      autoCastUuid: g.auto_cast_uuid_filter_values_to_text,
    });
    // The pool is registered only once a first connection succeeds: a URI that cannot connect (wrong password,
    // no such database, nothing listening) frees its slot at once instead of holding it for idle_evict_ms.
    const p = driver
      .ping(g.pool.connection_timeout_ms > 0 ? g.pool.connection_timeout_ms + 1000 : FIRST_CONNECT_TIMEOUT_MS)
      .then(
        () => {
          this.opening.delete(id);
          this.pools.set(id, { driver, lastUsed: Date.now() });
          this.logger.info(`direct-connection pool ${driver.clientName} opened (${this.pools.size}/${c.max_uris})`);
          this.ensureTimer();
          return driver;
        },
        (err: unknown) => {
          this.opening.delete(id);
          this.refusals.inc({ reason: 'connect_failed' });
          void driver.close().catch(() => undefined);
          const why =
            (err as { code?: string }).code ?? ((err as Error).message?.includes('timeout') ? 'timeout' : 'error');
          this.logger.warn(`direct-connection pool ${driver.clientName} not opened: first connection failed (${why})`);
          throw DriversErrors.directConnectionFailed(
            'Could not connect with the direct-connection URI',
            `The first connection with X-JDBC-URL / x-pg-uri failed (${why}); check its host, port, database, user and password`,
          );
        },
      );
    this.opening.set(id, p);
    return p;
  }

  private invalidUri(detail: string): never {
    this.refusals.inc({ reason: 'invalid_uri' });
    throw DriversErrors.invalidDirectConnectionUri('Invalid direct-connection URI', detail);
  }

  /** Closes pools unused for `idle_evict_ms` that have no connection checked out. */
  evictIdle(now = Date.now()): number {
    const ttl = this.config.gateway.direct_connections.idle_evict_ms;
    let n = 0;
    for (const [id, p] of this.pools) {
      const s = p.driver.poolStats();
      if (now - p.lastUsed < ttl || s.waiting > 0 || s.total > s.idle) continue;
      this.pools.delete(id);
      void p.driver.close().catch(() => undefined);
      this.logger.info(`direct-connection pool ${p.driver.clientName} closed after ${ttl} ms idle`);
      n++;
    }
    return n;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    const every = Math.max(500, Math.min(30_000, Math.floor(this.config.gateway.direct_connections.idle_evict_ms / 2)));
    this.timer = setInterval(() => {
      this.evictIdle();
      if (this.pools.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }, every);
    this.timer.unref();
  }

  get size(): number {
    return this.pools.size;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.opening.values()]);
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.driver.close()));
  }
}
