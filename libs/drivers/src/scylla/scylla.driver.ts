import { Logger } from '@nestjs/common';
import type { Client, types as CqlTypes } from 'cassandra-driver';
import { cassandraDriver, cqlTypes } from './cassandra-module';
import { AthenaError } from '@athena/common';
import type { ScyllaClientConfig } from '@athena/config';
import {
  CqlCompileOptions,
  CqlStatement,
  CqlTableSchema,
  DeleteCommand,
  FetchQuery,
  InsertCommand,
  Row,
  TableRef,
  UpdateCommand,
  compileCqlDelete,
  compileCqlInsert,
  compileCqlSelect,
  compileCqlUpdate,
} from '@athena/query';
import {
  BackendDriver,
  FetchResult,
  MutationResult,
  PoolStats,
  RawQueryOptions,
  RawQueryResult,
} from '../backend-driver';
import {
  isClientTimeout,
  isUnavailableError,
  keyspaceMissing,
  mapCqlError,
  missingKeyspace,
  statementTimeout,
} from './cql-errors';
import { introspectCql } from './schema-introspector';
import { SchemaCache } from '../schema-cache';
import { DriversErrors } from '../errors';

export interface ScyllaDriverOptions {
  clientName: string;
  config: ScyllaClientConfig;
  /** `gateway.max_rows`: no page is larger. */
  maxRows: number;
  schemaRefreshMs: number;
}

/** How long a client that failed to connect (or timed out) is answered with 503 before the next attempt. */
const DOWN_COOLDOWN_MS = 3000;
/**
 * After a client-side request timeout: how long the liveness probe (`SELECT release_version FROM system.local`)
 * may take. It answers → the statement was just slow (504, breaker untouched); it does not → the node hangs (503).
 */
const TIMEOUT_PROBE_MS = 500;

/** Driver values → JSON-friendly values (bigint as number when exact, uuids/decimals/dates as text, blobs as 0x hex). */
export function toJsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    case 'object':
      break;
    default:
      return String(v);
  }
  const T = cqlTypes(); // once per object value, not once per instanceof check
  if (v instanceof T.Long) {
    const n = v.toNumber();
    return Number.isSafeInteger(n) ? n : v.toString();
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof T.Tuple) return v.values().map(toJsonValue);
  if (v instanceof Set) return [...v].map(toJsonValue);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(toJsonValue(k))] = toJsonValue(x);
    return o;
  }
  if (
    v instanceof T.Uuid ||
    v instanceof T.BigDecimal ||
    v instanceof T.Integer ||
    v instanceof T.LocalDate ||
    v instanceof T.LocalTime ||
    v instanceof T.InetAddress ||
    v instanceof T.Duration
  ) {
    return v.toString();
  }
  if (v instanceof T.Vector) return Array.from(v as unknown as Iterable<unknown>, toJsonValue);
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = toJsonValue((v as Record<string, unknown>)[k]);
    return o;
  }
  return String(v);
}

function plainRows(rows: CqlTypes.Row[] | undefined): Row[] {
  if (!rows) return [];
  const out = new Array<Row>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const o: Row = {};
    for (const k of r.keys()) o[k] = toJsonValue(r.get(k));
    out[i] = o;
  }
  return out;
}

/**
 * ScyllaDB/Cassandra adapter on cassandra-driver: one bounded pool per client (`pool_size` connections per host,
 * `max_requests_per_connection` in flight each), created lazily on the first request; a schema cache from
 * `system_schema` refreshed in the background; a short circuit-breaker so an unreachable cluster answers 503 at
 * once instead of making every caller wait for a timeout. Statements are always prepared with bound values.
 */
export class ScyllaDriver extends BackendDriver {
  readonly backend = 'scylla' as const;
  readonly clientName: string;
  private readonly logger: Logger;
  private readonly compileOpts: CqlCompileOptions;
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly schema: SchemaCache<CqlTableSchema>;
  private downUntil = 0;
  /**
   * The configured keyspace when it did not exist at connect time: the session then has no keyspace, statements
   * naming one run, those relying on the default answer 503 `keyspace_missing` until it exists (then `USE`d).
   */
  private missingKs: string | null = null;
  /** The liveness probe in flight after a request timeout (concurrent timeouts share it). */
  private probing: Promise<boolean> | null = null;
  private closed = false;

  constructor(private readonly opts: ScyllaDriverOptions) {
    super();
    this.clientName = opts.clientName;
    this.logger = new Logger(`scylla:${opts.clientName}`);
    this.compileOpts = { allowFiltering: opts.config.allow_filtering };
    this.schema = new SchemaCache({
      load: () => this.loadSchema(),
      refreshMs: opts.schemaRefreshMs,
      onRefreshError: (e) => this.logger.warn(`schema refresh failed: ${e.message}`),
    });
  }

  private unavailable(): AthenaError {
    return DriversErrors.backendUnavailable(
      `Backend for client "${this.clientName}" is unavailable`,
      `The ScyllaDB/Cassandra cluster behind client "${this.clientName}" was unreachable moments ago; retry later`,
      undefined,
      { 'Retry-After': String(Math.max(1, Math.ceil((this.downUntil - Date.now()) / 1000))) },
    );
  }

  private trip(err: unknown): void {
    if (!isUnavailableError(err)) return;
    this.open(err);
  }

  private open(err: unknown): void {
    this.downUntil = Date.now() + DOWN_COOLDOWN_MS;
    this.logger.warn(`backend unreachable (${(err as Error).message}); failing fast for ${DOWN_COOLDOWN_MS} ms`);
  }

  /**
   * The one place a failed statement becomes an Athena error. A client-side request timeout is ambiguous — a slow
   * statement or a hung node — so the cluster is probed first (bounded, shared by concurrent timeouts): no answer
   * → the breaker opens and the caller gets 503; an answer → 504 `query_timeout` and everyone else keeps going.
   */
  private async failure(
    err: unknown,
    client: Client | null,
    mapOpts: { exposeMessage?: boolean; pagedWith?: string },
    limit?: string,
  ): Promise<AthenaError> {
    if (isClientTimeout(err)) {
      if (client && (await this.probe(client))) {
        this.logger.warn(
          `statement exceeded ${limit ?? 'request_timeout_ms'}; the cluster answers the probe: 504 query_timeout, breaker not opened`,
        );
        return statementTimeout(this.clientName, limit);
      }
      this.open(err);
      return this.unavailable();
    }
    this.trip(err);
    return mapCqlError(err, this.clientName, mapOpts);
  }

  /** True when the cluster answers a trivial read within TIMEOUT_PROBE_MS. */
  private probe(client: Client): Promise<boolean> {
    if (this.probing) return this.probing;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), TIMEOUT_PROBE_MS + 50);
      timer.unref();
    });
    const answer = client
      .execute('SELECT release_version FROM system.local', [], { readTimeout: TIMEOUT_PROBE_MS, prepare: false })
      .then(
        () => true,
        () => false,
      );
    this.probing = Promise.race([answer, deadline]).finally(() => {
      clearTimeout(timer);
      this.probing = null;
    });
    return this.probing;
  }

  /** The setting that bounded a statement, for the 504 message (a per-call timeout only comes from /query/sql). */
  private limitName(readTimeout: number | undefined): string {
    return readTimeout !== undefined
      ? `gateway.sql.statement_timeout_ms (${readTimeout} ms)`
      : `request_timeout_ms (${this.opts.config.request_timeout_ms} ms, scylla_clients.${this.clientName})`;
  }

  /** The connected client (connects once; a failed connect is retried after the cooldown with a new client). */
  private getClient(): Promise<Client> {
    if (this.closed)
      return Promise.reject(
        DriversErrors.backendUnavailable(`Client "${this.clientName}" is shutting down`, undefined, undefined, {
          'Retry-After': '1',
        }),
      );
    if (this.client) return Promise.resolve(this.client);
    if (Date.now() < this.downUntil) return Promise.reject(this.unavailable());
    if (this.connecting) return this.connecting;
    const ks = this.opts.config.keyspace ?? undefined;
    this.connecting = this.connect(ks)
      .catch((err) => {
        // The cluster answered but the keyspace does not exist: connect without one (statements that name a keyspace run).
        const missing = ks !== undefined ? missingKeyspace(err) : null;
        if (missing === null || this.closed) throw err;
        return this.connect(undefined).then((client) => {
          this.missingKs = ks!;
          this.logger.warn(
            `keyspace "${ks}" does not exist: connected without a keyspace; statements must name one until it is created`,
          );
          return client;
        });
      })
      .then((client) => {
        this.client = client;
        this.downUntil = 0;
        return client;
      })
      .catch((err) => {
        this.downUntil = Date.now() + DOWN_COOLDOWN_MS;
        this.logger.warn(`cannot connect (${(err as Error).message}); failing fast for ${DOWN_COOLDOWN_MS} ms`);
        throw err instanceof AthenaError
          ? err
          : DriversErrors.backendUnavailable(
              `Backend for client "${this.clientName}" is unavailable`,
              `The ScyllaDB/Cassandra cluster behind client "${this.clientName}" cannot be reached right now; retry later`,
              undefined,
              { 'Retry-After': '3' },
            );
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** One connect attempt with `keyspace`; the driver client is shut down when it fails. */
  private connect(keyspace: string | undefined): Promise<Client> {
    const c = this.opts.config;
    const client = new (cassandraDriver().Client)({
      contactPoints: c.contact_points,
      localDataCenter: c.local_data_center,
      keyspace,
      credentials:
        c.username !== null && c.password !== null ? { username: c.username, password: c.password } : undefined,
      applicationName: `athena:${this.clientName}`,
      pooling: {
        coreConnectionsPerHost: { [cqlTypes().distance.local]: c.pool_size, [cqlTypes().distance.remote]: 1 },
        maxRequestsPerConnection: c.max_requests_per_connection,
        warmup: false,
      },
      socketOptions: { connectTimeout: c.connect_timeout_ms, readTimeout: c.request_timeout_ms },
      queryOptions: { prepare: true },
      encoding: { useUndefinedAsUnset: true },
    });
    client.on('log', (level: string, className: string, message: string) => {
      if (level === 'warning' || level === 'error') this.logger.warn(`driver ${className}: ${message}`);
    });
    return client.connect().then(
      () => {
        if (this.closed) {
          void client.shutdown().catch(() => undefined);
          throw DriversErrors.backendUnavailable(`Client "${this.clientName}" is shutting down`, undefined, undefined, {
            'Retry-After': '1',
          });
        }
        return client;
      },
      (err: unknown) => {
        void client.shutdown().catch(() => undefined);
        throw err;
      },
    );
  }

  /**
   * While the configured keyspace is missing: true once it exists (then the session `USE`s it and the schema
   * reloads), false while it still does not.
   */
  private async adoptKeyspace(client: Client): Promise<boolean> {
    const ks = this.missingKs;
    if (ks === null) return true;
    let exists: boolean;
    try {
      const r = await client.execute(
        'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
        [ks],
        { prepare: true },
      );
      exists = r.rowLength > 0;
    } catch (err) {
      throw await this.failure(err, client, {}, this.limitName(undefined));
    }
    if (!exists) return false;
    try {
      await client.execute(`USE "${ks}"`);
    } catch (err) {
      throw await this.failure(err, client, {}, this.limitName(undefined));
    }
    this.missingKs = null;
    this.schema.invalidate();
    this.logger.warn(`keyspace "${ks}" exists now: using it`);
    return true;
  }

  private async exec(
    stmt: CqlStatement,
    options: { fetchSize?: number; pageState?: string; prepare?: boolean; expose?: boolean; readTimeout?: number } = {},
  ) {
    if (Date.now() < this.downUntil) throw this.unavailable();
    const client = this.client ?? (await this.getClient());
    try {
      return await client.execute(stmt.text, stmt.values, {
        prepare: options.prepare ?? true,
        fetchSize: options.fetchSize,
        pageState: options.pageState,
        autoPage: false,
        ...(options.readTimeout !== undefined ? { readTimeout: options.readTimeout } : {}),
      });
    } catch (err) {
      throw await this.failure(
        err,
        client,
        { exposeMessage: options.expose, pagedWith: options.pageState },
        this.limitName(options.readTimeout),
      );
    }
  }

  /** Introspection for the schema cache (from system_schema), failures classified like any statement's. */
  private loadSchema(): Promise<Map<string, CqlTableSchema>> {
    return this.getClient().then((client) =>
      introspectCql(client, this.opts.config.request_timeout_ms).catch(async (err: unknown) => {
        throw await this.failure(err, client, {}, this.limitName(undefined));
      }),
    );
  }

  private key(table: TableRef): string {
    const ks = table.schema ?? this.opts.config.keyspace;
    if (ks === null) {
      throw DriversErrors.invalidIdentifier(
        `Table "${table.name}" needs a keyspace`,
        `Client "${this.clientName}" has no default keyspace; name the table as "keyspace.table"`,
      );
    }
    return `${ks}.${table.name}`;
  }

  /** Hot path: the cached table without an extra await (undefined → fall back to describe()). */
  private cached(table: TableRef): CqlTableSchema | undefined {
    const ks = table.schema ?? this.opts.config.keyspace;
    return ks === null ? undefined : this.schema.peek(`${ks}.${table.name}`);
  }

  async describe(table: TableRef): Promise<CqlTableSchema> {
    const key = this.key(table);
    if (this.missingKs !== null && table.schema === null && !(await this.adoptKeyspace(await this.getClient()))) {
      throw keyspaceMissing(this.clientName, this.missingKs);
    }
    const found = await this.schema.find(key);
    if (!found) {
      throw DriversErrors.unknownTable(
        `Unknown table "${key}"`,
        `Table "${key}" does not exist on client "${this.clientName}"`,
      );
    }
    return found;
  }

  async fetch(q: FetchQuery): Promise<FetchResult & { pageState?: string | null }> {
    const schema = this.cached(q.table) ?? (await this.describe(q.table));
    const stmt = compileCqlSelect(q, schema, this.compileOpts);
    if (stmt.empty) return { rows: [], truncated: false, pageState: null };
    const fetchSize = Math.min(stmt.fetchSize, this.opts.maxRows, this.opts.config.fetch_size_max);
    const res = await this.exec(stmt, { fetchSize, pageState: q.pageState });
    const rows = plainRows(res.rows);
    const pageState = res.pageState ?? null;
    // A full page with a page state may have more rows behind it; when the cap set the page size, say so.
    const truncated = q.probeTruncation && pageState !== null && rows.length >= fetchSize;
    return { rows, truncated, pageState };
  }

  async insert(c: InsertCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const compiled = compileCqlInsert(c, schema, this.compileOpts);
    if (Date.now() < this.downUntil) throw this.unavailable();
    const client = this.client ?? (await this.getClient());
    let applied = true;
    try {
      if (compiled.statements.length === 1) {
        const s = compiled.statements[0];
        const res = await client.execute(s.text, s.values, { prepare: true });
        if (compiled.conditional) applied = res.wasApplied();
      } else {
        const res = await client.batch(
          compiled.statements.map((s) => ({ query: s.text, params: s.values })),
          { prepare: true, logged: true },
        );
        if (compiled.conditional) applied = res.wasApplied();
      }
    } catch (err) {
      throw await this.failure(err, client, {}, this.limitName(undefined));
    }
    if (!applied) {
      throw DriversErrors.conflict(
        'A row with the same primary key already exists',
        'if_not_exists was set and a row with this primary key exists; nothing was written',
      );
    }
    return { rows: compiled.rows as Row[], count: compiled.rows.length };
  }

  async update(c: UpdateCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const compiled = compileCqlUpdate(c, schema, this.compileOpts);
    const res = await this.exec(compiled.statement);
    if (!res.wasApplied()) return { rows: [], count: 0 };
    const read = await this.exec(compiled.read);
    return { rows: plainRows(read.rows), count: 1 };
  }

  async delete(c: DeleteCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const compiled = compileCqlDelete(c, schema, this.compileOpts);
    const read = await this.exec(compiled.read);
    const rows = plainRows(read.rows);
    if (rows.length === 0) return { rows: [], count: 0 };
    await this.exec(compiled.statement);
    return { rows, count: rows.length };
  }

  /** Runs one CQL statement as written (prepared when it has parameters); rows as plain objects. */
  override defaultNamespace(): string {
    return this.opts.config.keyspace ?? '';
  }

  async rawQuery(cql: string, params: unknown[] = [], opts: RawQueryOptions = {}): Promise<RawQueryResult> {
    const fetchSize = Math.min(this.opts.maxRows, this.opts.config.fetch_size_max);
    // A per-call timeout (e.g. /query/sql's statement timeout) bounds the read; 0 means "no limit" (driver: 0 disables).
    const readTimeout = opts.timeoutMs !== undefined ? opts.timeoutMs : undefined;
    if (this.missingKs !== null) await this.adoptKeyspace(await this.getClient());
    let res: Awaited<ReturnType<ScyllaDriver['exec']>>;
    try {
      res = await this.exec(
        { text: cql, values: params },
        { prepare: params.length > 0, fetchSize, expose: true, readTimeout },
      );
    } catch (e) {
      // Still no session keyspace and the statement named none: say which keyspace is missing.
      const ks = this.missingKs;
      if (ks !== null && e instanceof AthenaError && /no keyspace has been specified/i.test(e.detail))
        throw keyspaceMissing(this.clientName, ks);
      throw e;
    }
    const command = (/^\s*([A-Za-z]+)/.exec(cql)?.[1] ?? '').toUpperCase();
    if (/^(CREATE|ALTER|DROP|TRUNCATE)$/.test(command)) this.schema.invalidate(); // DDL: reload lazily
    const rows = plainRows(res.rows);
    return { rows, rowCount: rows.length, command };
  }

  async ping(timeoutMs = 2000): Promise<void> {
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs);
      t.unref();
    });
    const client = await Promise.race([this.getClient(), timer]);
    await Promise.race([
      client.execute('SELECT release_version FROM system.local', [], { readTimeout: timeoutMs }),
      timer,
    ]);
    this.downUntil = 0;
  }

  poolStats(): PoolStats {
    const c = this.client;
    if (!c) return { total: 0, idle: 0, waiting: 0 };
    const state = c.getState();
    let total = 0;
    let inFlight = 0;
    for (const h of state.getConnectedHosts()) {
      total += state.getOpenConnections(h);
      inFlight += state.getInFlightQueries(h);
    }
    return { total, idle: Math.max(0, total - inFlight), waiting: inFlight };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.schema.close();
    const c = this.client;
    this.client = null;
    if (c) await c.shutdown();
  }
}
