import { Logger } from '@nestjs/common';
import { Pool, PoolClient, Query, QueryConfig, QueryResult, types as pgTypes } from 'pg';
import { AthenaError, isConnectionLoss, isPoolExhausted } from '@athena/common';
import {
  CompiledStatement,
  DeleteCommand,
  FetchQuery,
  InsertCommand,
  Row,
  TableRef,
  TableSchema,
  UpdateCommand,
  compileDelete,
  compileInsert,
  compileSelect,
  compileUpdate,
} from '@athena/query';
import {
  BackendDriver,
  capRows,
  FetchResult,
  MutationResult,
  PoolStats,
  RawQueryOptions,
  RawQueryResult,
} from '../backend-driver';
import { connectFailure, mapPgError, poolExhausted } from './pg-errors';
import { introspect } from './schema-introspector';
import { SchemaCache } from '../schema-cache';
import { DriversErrors } from '../errors';

export interface PostgresDriverOptions {
  clientName: string;
  uri: string;
  poolMax: number;
  idleTimeoutMs: number;
  connectionTimeoutMs: number;
  statementTimeoutMs: number;
  schemaRefreshMs: number;
  autoCastUuid: boolean;
  readOnly?: boolean;
  /** Where the adapter logs (the registry passes the root pino logger's child); Nest's Logger otherwise. */
  log?: DriverLog;
}

/** The two levels the adapter logs at. */
export interface DriverLog {
  warn(msg: string): void;
  info(msg: string): void;
}

/** int8 as a JS number when it is exactly representable, otherwise the exact decimal string. */
function parseInt8(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}
const TYPE_OVERRIDES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return parseInt8;
    return pgTypes.getTypeParser(oid, format as 'text');
  },
};

function nestLog(context: string): DriverLog {
  const l = new Logger(context);
  return { warn: (m) => l.warn(m), info: (m) => l.log(m) };
}

/** How long a client that failed to connect is answered with 503 before the next attempt. */
const DOWN_COOLDOWN_MS = 3000;

/**
 * Named (prepared) statements: the gateway compiles requests to a small set of statement shapes, so each shape is
 * parsed and planned once per pooled connection instead of on every call. Bounded: at most this many shapes per
 * client get a name (first come); statements with more bound values than {@link PREPARE_MAX_VALUES} (bulk inserts,
 * long `in` lists expanded by Scylla-style callers) stay unnamed, so one-off shapes cannot crowd out the hot ones.
 */
const PREPARE_MAX_SHAPES = 256;
const PREPARE_MAX_VALUES = 32;

/** `pg`'s per-connection record of the statements it has prepared (internal to `pg` 8; checked at run time). */
interface PreparedRecord {
  parsedStatements: Record<string, string>;
  submittedNamedStatements?: Record<string, string>;
}
function preparedRecord(client: PoolClient): PreparedRecord | undefined {
  const conn = (client as unknown as { connection?: Partial<PreparedRecord> }).connection;
  return conn && typeof conn.parsedStatements === 'object' && conn.parsedStatements !== null
    ? (conn as PreparedRecord)
    : undefined;
}

/**
 * Makes `pg` forget that statement `name` (all of them without a name) is prepared on this connection, so it
 * prepares it again on next use; false when this `pg` keeps no such record (the caller then discards the connection).
 */
function forgetPreparedRecord(client: PoolClient, name?: string): boolean {
  const record = preparedRecord(client);
  if (!record) return false;
  if (name === undefined) {
    record.parsedStatements = {};
    if (record.submittedNamedStatements) record.submittedNamedStatements = {};
  } else {
    delete record.parsedStatements[name];
    if (record.submittedNamedStatements) delete record.submittedNamedStatements[name];
  }
  return true;
}

/**
 * Runs `text` on `client`, as the named statement `name` when given. Hot path: `client.query(config)` copies a
 * config object property by property (`cloneQueryConfig`, ~9 µs per call under load in the profile); a string
 * `text` with a values array is not copied, so the query is built from the string and named afterwards, and handed
 * to `pg` as a ready `Query` (public `pg.Query`; the pool's type parsers still apply).
 */
function runOn(client: PoolClient, text: string, values: unknown[] | undefined, name?: string): Promise<QueryResult> {
  if (name === undefined) return client.query(text, values);
  return new Promise<QueryResult>((resolve, reject) => {
    const q = new Query(text, values) as Query & {
      name?: string;
      callback?: (err: Error | null, res: QueryResult) => void;
    };
    q.name = name;
    q.callback = (err, res) => (err ? reject(err) : resolve(res));
    client.query(q);
  });
}

/** SQLSTATEs after which a named statement must be prepared again: result type changed by DDL (0A000), or gone. */
function isStalePrepared(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return (
    (e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '')) || e?.code === '26000'
  );
}

/**
 * PostgreSQL adapter: one bounded `pg` pool per client, created lazily on the first request; a schema
 * cache refreshed in the background; a short circuit-breaker so an unreachable database answers 503
 * immediately instead of making every caller wait for a connect timeout. The breaker opens only when a
 * connection cannot be established (refused, unreachable, auth, no slot, database closed) or breaks; waiting for
 * a busy pool is back-pressure (503 `pool_exhausted`) and leaves it closed. One log line per outage.
 */
export class PostgresDriver extends BackendDriver {
  readonly backend = 'postgres' as const;
  readonly clientName: string;
  private readonly logger: DriverLog;
  private pool: Pool | null = null;
  private readonly schema: SchemaCache<TableSchema>;
  private downUntil = 0;
  /** SQL text → statement name (see PREPARE_MAX_SHAPES). */
  private readonly statementNames = new Map<string, string>();
  /** True from the first failure of an outage until a connection succeeds again (one log line each way). */
  private outage = false;
  private closed = false;

  constructor(private readonly opts: PostgresDriverOptions) {
    super();
    this.clientName = opts.clientName;
    this.logger = opts.log ?? nestLog(`pg:${opts.clientName}`);
    this.schema = new SchemaCache({
      load: () => this.loadSchema(),
      refreshMs: opts.schemaRefreshMs,
      onRefreshError: (e) => this.logger.warn(`schema refresh failed: ${e.message}`),
    });
  }

  private getPool(): Pool {
    if (this.closed)
      throw DriversErrors.backendUnavailable(`Client "${this.clientName}" is shutting down`, undefined, undefined, {
        'Retry-After': '1',
      });
    if (this.pool) return this.pool;
    const o = this.opts;
    this.pool = new Pool({
      connectionString: o.uri,
      max: o.poolMax,
      idleTimeoutMillis: o.idleTimeoutMs,
      connectionTimeoutMillis: o.connectionTimeoutMs,
      statement_timeout: o.statementTimeoutMs > 0 ? o.statementTimeoutMs : undefined,
      application_name: `athena:${o.clientName}`,
      types: TYPE_OVERRIDES,
      options: o.readOnly ? '-c default_transaction_read_only=on' : undefined,
    });
    this.pool.on('error', (err) => this.logger.warn(`idle connection error: ${err.message}`));
    return this.pool;
  }

  private unavailable(): AthenaError {
    return DriversErrors.backendUnavailable(
      `Backend for client "${this.clientName}" is unavailable`,
      `The database behind client "${this.clientName}" was unavailable moments ago; retry later`,
      undefined,
      { 'Retry-After': String(Math.max(1, Math.ceil((this.downUntil - Date.now()) / 1000))) },
    );
  }

  /** Opens the breaker; logs only the first failure of an outage. */
  private trip(err: unknown): void {
    this.downUntil = Date.now() + DOWN_COOLDOWN_MS;
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(
      `backend unavailable (${(err as Error)?.message ?? String(err)}); failing fast, retrying every ${DOWN_COOLDOWN_MS} ms`,
    );
  }

  /**
   * A pooled connection, or the typed refusal: breaker open or establishment failed → 503 `backend_unavailable`
   * (opens the breaker); every connection busy past the connect timeout → 503 `pool_exhausted` (breaker untouched).
   */
  private async acquire(): Promise<PoolClient> {
    if (Date.now() < this.downUntil) throw this.unavailable();
    const pool = this.getPool();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      if (err instanceof AthenaError) throw err;
      if (isPoolExhausted(err)) throw poolExhausted(this.clientName);
      this.trip(err);
      throw connectFailure(err, this.clientName, Math.ceil(DOWN_COOLDOWN_MS / 1000));
    }
    if (this.outage) {
      this.outage = false;
      this.logger.info('backend reachable again');
    }
    return client;
  }

  /** The statement's name when it is (or may become) one of this client's prepared shapes. */
  private statementName(stmt: CompiledStatement): string | undefined {
    if (stmt.values !== undefined && stmt.values.length > PREPARE_MAX_VALUES) return undefined;
    let name = this.statementNames.get(stmt.text);
    if (name === undefined) {
      if (this.statementNames.size >= PREPARE_MAX_SHAPES) return undefined;
      name = `athena_${this.statementNames.size}`;
      this.statementNames.set(stmt.text, name);
    }
    return name;
  }

  /**
   * Runs one statement as a named (prepared) statement when it has a shape name, translating failures and tripping
   * the breaker when the connection breaks. A prepared shape whose result type changed (DDL since it was prepared)
   * or that the server no longer knows is deallocated on that connection and run once more.
   */
  private async run(stmt: CompiledStatement, exposeMessage = false) {
    const client = await this.acquire();
    const name = this.statementName(stmt);
    const values = stmt.values as unknown[] | undefined;
    try {
      let res: QueryResult;
      try {
        res = await runOn(client, stmt.text, values, name);
      } catch (err) {
        if (name === undefined || !isStalePrepared(err) || !(await this.forgetPrepared(client, name))) throw err;
        res = await runOn(client, stmt.text, values, name);
      }
      client.release();
      return res;
    } catch (err) {
      const lost = isConnectionLoss(err);
      client.release(lost ? (err as Error) : undefined);
      if (lost) this.trip(err);
      throw mapPgError(err, this.clientName, exposeMessage);
    }
  }

  /** Drops one prepared shape from a connection (server and `pg`'s record); false when that cannot be done. */
  private async forgetPrepared(client: PoolClient, name: string): Promise<boolean> {
    if (!preparedRecord(client)) return false;
    // `name` is ours (`athena_<n>`), never caller input. An unknown name (26000) fails harmlessly.
    await client.query(`DEALLOCATE ${name}`).catch(() => undefined);
    return forgetPreparedRecord(client, name);
  }

  /** Introspection for the schema cache, through the same breaker as statements. */
  private async loadSchema(): Promise<Map<string, TableSchema>> {
    const client = await this.acquire();
    try {
      const tables = await introspect(client);
      client.release();
      return tables;
    } catch (err) {
      const lost = isConnectionLoss(err);
      client.release(lost ? (err as Error) : undefined);
      if (lost) this.trip(err);
      throw mapPgError(err, this.clientName);
    }
  }

  /** Hot path: the cached table without an extra await (undefined → fall back to describe()). */
  private cached(table: TableRef): TableSchema | undefined {
    return this.schema.peek(`${table.schema ?? 'public'}.${table.name}`);
  }

  async describe(table: TableRef): Promise<TableSchema> {
    const key = `${table.schema ?? 'public'}.${table.name}`;
    const found = await this.schema.find(key);
    if (!found) {
      throw DriversErrors.unknownTable(
        `Unknown table "${key}"`,
        `Table "${key}" does not exist on client "${this.clientName}" (or the client's role cannot read it)`,
      );
    }
    return found;
  }

  async fetch(q: FetchQuery): Promise<FetchResult> {
    const schema = this.cached(q.table) ?? (await this.describe(q.table));
    const res = await this.run(compileSelect(q, schema, { autoCastUuid: this.opts.autoCastUuid }));
    return capRows(res.rows as Row[], q);
  }

  async insert(c: InsertCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const res = await this.run(compileInsert(c, schema, { autoCastUuid: this.opts.autoCastUuid }));
    return { rows: res.rows as Row[], count: res.rowCount ?? res.rows.length };
  }

  async update(c: UpdateCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const res = await this.run(compileUpdate(c, schema, { autoCastUuid: this.opts.autoCastUuid }));
    return { rows: res.rows as Row[], count: res.rowCount ?? res.rows.length };
  }

  async delete(c: DeleteCommand): Promise<MutationResult> {
    const schema = this.cached(c.table) ?? (await this.describe(c.table));
    const res = await this.run(compileDelete(c, schema, { autoCastUuid: this.opts.autoCastUuid }));
    return { rows: res.rows as Row[], count: res.rowCount ?? res.rows.length };
  }

  async rawQuery(sql: string, params: unknown[] = [], opts: RawQueryOptions = {}): Promise<RawQueryResult> {
    const last = await this.runIsolated(sql, params, opts.timeoutMs);
    if (/^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE)/i.test(last.command ?? '')) this.schema.invalidate(); // DDL: reload lazily
    return { rows: (last.rows ?? []) as Row[], rowCount: last.rowCount ?? 0, command: last.command ?? '' };
  }

  /**
   * Raw SQL on a dedicated connection that goes back to the pool as it came out. Read-only clients: inside
   * `BEGIN TRANSACTION READ ONLY` (so a statement cannot write). Writable clients: no transaction of ours (so VACUUM
   * or CREATE INDEX CONCURRENTLY still run); a timeout other than the pool's is SET around the statement.
   * Afterwards, always: `ROLLBACK` when a transaction is open (a caller's `BEGIN`, or ours), then `DISCARD ALL` as
   * its own query (it cannot run in a transaction block) — which drops whatever the caller's SQL left on the session:
   * `SET ROLE` / `search_path` / `session_replication_role` / any other SET (back to the connect-time values, so
   * the pool's statement_timeout and a read-only client's default_transaction_read_only=on come back), temp tables,
   * `LISTEN`, advisory locks, `PREPARE`d statements (ours included: `pg`'s record of them is cleared with it, or
   * the connection is destroyed where that record cannot be reached), held cursors. If the cleanup fails, the
   * connection is destroyed (`release(err)`) instead of being pooled.
   */
  private async runIsolated(sql: string, params: unknown[], timeoutMs: number | undefined): Promise<QueryResult> {
    const t = Math.max(0, Math.floor(timeoutMs ?? this.opts.statementTimeoutMs));
    const client = await this.acquire();
    let broken: Error | undefined;
    try {
      if (this.opts.readOnly) await client.query(`BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${t}`);
      else if (t !== this.opts.statementTimeoutMs) await client.query(`SET statement_timeout = ${t}`);
      // The extended protocol so exactly one statement runs (no `;`-chained batches).
      return await client.query({ text: sql, values: params, queryMode: 'extended' } as QueryConfig);
    } catch (err) {
      if (isConnectionLoss(err)) {
        broken = err as Error;
        this.trip(err);
      }
      throw mapPgError(err, this.clientName, true);
    } finally {
      if (!broken) broken = await this.resetSession(client);
      client.release(broken ?? undefined);
    }
  }

  /** ROLLBACK (only when not idle: saves a round trip and a server WARNING) then DISCARD ALL; the error if either failed. */
  private async resetSession(client: PoolClient): Promise<Error | undefined> {
    try {
      if (client.getTransactionStatus() !== 'I') await client.query('ROLLBACK');
      await client.query('DISCARD ALL');
      // DISCARD ALL deallocated the gateway's prepared shapes too: make `pg` prepare them again on this connection.
      if (!forgetPreparedRecord(client))
        return new Error('cannot reset the prepared-statement record of this connection');
      return undefined;
    } catch (e) {
      this.logger.warn(`session reset after raw SQL failed (${(e as Error).message}); connection discarded`);
      return e as Error;
    }
  }

  async ping(timeoutMs = 2000): Promise<void> {
    let client: PoolClient | undefined;
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs);
      t.unref();
    });
    try {
      client = await Promise.race([this.getPool().connect(), timer]);
      await Promise.race([client.query('SELECT 1'), timer]);
      this.downUntil = 0;
      this.outage = false;
    } finally {
      client?.release();
    }
  }

  poolStats(): PoolStats {
    const p = this.pool;
    return p ? { total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount } : { total: 0, idle: 0, waiting: 0 };
  }

  /** The underlying pool, for the benchmark floor only (same pool, same SQL). */
  rawPool(): Pool {
    return this.getPool();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.schema.close();
    const p = this.pool;
    this.pool = null;
    if (p) await p.end();
  }
}
