import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AthenaError, SingleFlight } from '@athena/common';
import { CacheOutcome, CacheRoute, ResponseCacheService, isPlainRead, leadingKeyword } from '@athena/cache';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { RequestTargetResolver } from '@athena/catalog';
import { BackendDriver, FetchResult } from '@athena/drivers';
import { ok, SuccessEnvelope } from '@athena/http';
import { CallAccounting, CallRecord as BaseCallRecord, MetricsService } from '@athena/observability';
import {
  FetchQuery, ParseOptions, Row, TableRef, applyPostProcessing, parseDataQuery, parseDeletePayload, parseFetchPayload,
  parseInsertPayload, parseUpdatePayload, stripNullFields,
} from '@athena/query';

type Operation = 'fetch' | 'insert' | 'update' | 'delete' | 'query';

/** What one gateway call reports to the logs, metrics and trace when it ends. */
interface CallRecord extends BaseCallRecord {
  operation: Operation;
  cacheOutcome?: CacheOutcome;
  /** The target must not be cached (see RequestTarget.ephemeral). */
  uncacheable?: boolean;
}

const MAX_SQL_LENGTH = 100_000;

/**
 * Gateway use cases: resolve the client, parse the payload into the AST, run it through the client's
 * driver, shape the rows, and account for the call (request/operation logs, metrics, gateway_trace).
 */
@Injectable()
export class GatewayService {
  private readonly fetchFlight = new SingleFlight<FetchResult>();

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly targets: RequestTargetResolver,
    private readonly accounting: CallAccounting,
    private readonly metrics: MetricsService,
    private readonly cache: ResponseCacheService,
  ) {}

  private parseOptions(req: FastifyRequest): ParseOptions {
    const header = req.headers['x-strip-nulls'];
    return {
      camelToSnake: this.config.gateway.force_camel_case_to_snake_case,
      maxRows: this.config.gateway.max_rows,
      stripNullsHeader: Array.isArray(header) ? header[0] : header,
    };
  }

  /** X-Athena-Client (or a direct connection / custom_supabase) → the adapter to run on. */
  private async driverFor(req: FastifyRequest, rec: CallRecord): Promise<BackendDriver> {
    const t = this.targets.resolve(req.headers);
    const target = t instanceof Promise ? await t : t;
    rec.client = target.name;
    rec.backend = target.backend;
    if (target.ephemeral) rec.uncacheable = true;
    return target.driver;
  }

  /** `route`: the cache's route group (its TTL and metric label); `reply` receives the X-Athena-Cache headers. */
  fetch(body: unknown, req: FastifyRequest, reply?: FastifyReply, route: CacheRoute = 'gateway_fetch'): Promise<SuccessEnvelope> {
    return this.account(req, 'fetch', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const q = parseFetchPayload(body, this.parseOptions(req));
      return this.runFetch(driver, q, rec, req, reply, route);
    });
  }

  fetchByQuery(query: Record<string, string | string[] | undefined>, req: FastifyRequest, reply?: FastifyReply): Promise<SuccessEnvelope> {
    return this.account(req, 'fetch', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const q = parseDataQuery(query, this.parseOptions(req));
      return this.runFetch(driver, q, rec, req, reply, 'data');
    });
  }

  private async runFetch(
    driver: BackendDriver, q: FetchQuery, rec: CallRecord, req: FastifyRequest, reply: FastifyReply | undefined, route: CacheRoute,
  ): Promise<SuccessEnvelope> {
    rec.table = tableName(q.table);
    // The parsed AST is the cache key's normal form (plus client, rights scope and invalidation generation).
    const cached = await this.cache.lookup<SuccessEnvelope>(req, reply, route, driver.clientName, q, driver.defaultNamespace(), !rec.uncacheable);
    rec.cacheKey = cached.key;
    rec.cacheOutcome = cached.outcome;
    if (cached.value !== undefined) {
      rec.rowsReturned = Array.isArray(cached.value.data) ? cached.value.data.length : undefined;
      return cached.value;
    }
    // Identical concurrent fetches share one database execution. The key carries the generation, so a read
    // that starts after a write never joins an execution that started before it.
    const flight = this.fetchFlight.run(`${driver.clientName}\u0000${cached.key}`, () => driver.fetch(q));
    // The call record's client name: bounded (`direct_connection`, `custom_supabase`), never a per-target id.
    if (flight.shared) this.metrics.singleflightShared.inc({ client: rec.client ?? 'unknown' });
    const result = await flight.promise;
    const rows: Row[] = q.stripNulls ? stripNullFields(result.rows) : result.rows;
    rec.rowsReturned = rows.length;
    const extra: Record<string, unknown> = { count: rows.length };
    if (result.truncated) extra.truncated = true;
    if (result.pageState !== undefined) extra.page_state = result.pageState;
    if (q.postProcessing) extra.post_processing = applyPostProcessing(rows, q.postProcessing);
    extra.cache_key = cached.key;
    const envelope = ok(`Fetched ${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`, rows, extra);
    cached.store(envelope);
    return envelope;
  }

  insert(body: unknown, req: FastifyRequest): Promise<SuccessEnvelope> {
    return this.account(req, 'insert', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const c = parseInsertPayload(body, this.parseOptions(req));
      rec.table = tableName(c.table);
      const res = await this.write(driver, c.table, () => driver.insert(c));
      rec.rowsAffected = res.count;
      const data = c.single ? (res.rows[0] ?? null) : res.rows;
      return ok(`Inserted ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, data, { count: res.count });
    });
  }

  update(body: unknown, req: FastifyRequest): Promise<SuccessEnvelope> {
    return this.account(req, 'update', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const c = parseUpdatePayload(body, this.parseOptions(req));
      rec.table = tableName(c.table);
      const res = await this.write(driver, c.table, () => driver.update(c));
      rec.rowsAffected = res.count;
      const rows = c.stripNulls ? stripNullFields(res.rows) : res.rows;
      const extra: Record<string, unknown> = { count: res.count };
      if (c.postProcessing) extra.post_processing = applyPostProcessing(rows, c.postProcessing);
      return ok(`Updated ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, rows, extra);
    });
  }

  delete(body: unknown, req: FastifyRequest): Promise<SuccessEnvelope> {
    return this.account(req, 'delete', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const c = parseDeletePayload(body, this.parseOptions(req));
      rec.table = tableName(c.table);
      rec.resourceId = c.resourceId;
      const res = await this.write(driver, c.table, () => driver.delete(c));
      rec.rowsAffected = res.count;
      return ok(`Deleted ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, res.rows, {
        count: res.count, table_name: rec.table, resource_id: c.resourceId,
      });
    });
  }

  query(body: unknown, req: FastifyRequest): Promise<SuccessEnvelope> {
    return this.account(req, 'query', async (rec) => {
      const driver = await this.driverFor(req, rec);
      const sql = normalizeSql(body);
      // Raw SQL can touch any table (and triggers, cascades): anything but a plain read invalidates the client.
      const res = await this.write(driver, null, () => driver.rawQuery(sql), (r) => !isPlainRead(sql, r.command), !isPlainRead(sql, leadingKeyword(sql)));
      rec.rowsReturned = res.rows.length;
      rec.rowsAffected = res.rowCount;
      return ok('Query executed', res.rows, { count: res.command === 'SELECT' ? res.rows.length : res.rowCount, command: res.command });
    });
  }

  /** Runs a write through the cache's invalidation rule (see ResponseCacheService.write). */
  private write<T>(driver: BackendDriver, table: TableRef | null, run: () => Promise<T>, changes?: (res: T) => boolean, changesOnError?: boolean): Promise<T> {
    return this.cache.write(driver.clientName, table, driver.defaultNamespace(), run, changes, changesOnError);
  }

  /** Runs a use case and records logs/metrics/trace exactly once, on success and on failure. */
  private account(req: FastifyRequest, operation: Operation, fn: (rec: CallRecord) => Promise<SuccessEnvelope>): Promise<SuccessEnvelope> {
    return this.accounting.account<SuccessEnvelope, CallRecord>(req, operation, fn);
  }
}

function tableName(t: { schema: string | null; name: string }): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

/** `{query}` → one trimmed statement without its trailing semicolon. */
export function normalizeSql(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw AthenaError.badRequest('invalid_query_payload', 'Invalid query payload', 'Send a JSON object: {"query": "<SQL>"}');
  }
  const raw = (body as { query?: unknown }).query;
  if (typeof raw !== 'string') {
    throw AthenaError.badRequest('invalid_query_payload', 'Invalid query payload', '"query" must be a string holding one SQL statement');
  }
  const sql = raw.trim().replace(/;\s*$/, '').trim();
  if (sql === '') throw AthenaError.badRequest('empty_query', 'Empty query', '"query" is empty; send one SQL statement');
  if (sql.length > MAX_SQL_LENGTH) {
    throw AthenaError.badRequest('invalid_query_payload', 'Query too long', `"query" is longer than ${MAX_SQL_LENGTH} characters`);
  }
  return sql;
}
