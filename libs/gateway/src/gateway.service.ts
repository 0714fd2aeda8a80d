import { Inject, Injectable, Optional } from '@nestjs/common';
import { AuthorizationService } from '@athena/auth';
import { CallOutcome, GatewayCall, SingleFlight } from '@athena/common';
import { CacheOutcome, CacheRoute, ResponseCacheService, isPlainRead, leadingKeyword } from '@athena/cache';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { RequestTargetResolver } from '@athena/catalog';
import { BackendDriver, FetchResult } from '@athena/drivers';
import { ok, SuccessEnvelope } from '@athena/http';
import { CallAccounting, CallRecord as BaseCallRecord, MetricsService } from '@athena/observability';
import { WriteEvents } from './write-events';
import {
  FetchQuery,
  ParseOptions,
  Row,
  TableRef,
  applyPostProcessing,
  parseDataQuery,
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
  stripNullFields,
  normalizeSqlText,
} from '@athena/query';
import { GatewayErrors } from './errors';

type Operation = 'fetch' | 'insert' | 'update' | 'delete' | 'query';

/** What one gateway call reports to the logs, metrics and trace when it ends. */
interface CallRecord extends BaseCallRecord {
  operation: Operation;
  cacheOutcome?: CacheOutcome;
  /** The target must not be cached (see RequestTarget.ephemeral). */
  uncacheable?: boolean;
}

/** The answer of a gateway operation: the envelope plus what the edge reports beside it (cache headers). */
export type GatewayOutcome = CallOutcome<SuccessEnvelope>;

/** What the response cache holds for a fetch: the serialized envelope and its row count (for the call log). */
interface CachedAnswer {
  rows: number | null;
  json: string;
}

/** An outcome whose body exists as JSON text only; parsed on first read (non-HTTP transports). */
function preSerialized(json: string, cache: GatewayOutcome['cache']): GatewayOutcome {
  let body: SuccessEnvelope | undefined;
  return {
    get body(): SuccessEnvelope {
      return (body ??= JSON.parse(json) as SuccessEnvelope);
    },
    json,
    status: 200,
    cache,
  };
}

/** The right raw SQL (`/gateway/query`) needs. */
export const RAW_QUERY_RIGHT = 'gateway.query';

/**
 * Gateway use cases, transport-free: parse the payload into the AST, authorize the call on the parsed target,
 * resolve the client, run it through the client's driver, shape the rows, and account for the call
 * (request/operation logs, metrics, gateway_trace). Called by the HTTP controller, and by anything else that
 * runs gateway operations (WebSocket frames, the deferred worker, pipelines) with a GatewayCall of its own.
 */
@Injectable()
export class GatewayService {
  private readonly fetchFlight = new SingleFlight<FetchResult>();

  constructor(
    @Inject(ATHENA_CONFIG) config: AthenaConfig,
    private readonly targets: RequestTargetResolver,
    private readonly accounting: CallAccounting,
    private readonly metrics: MetricsService,
    private readonly cache: ResponseCacheService,
    private readonly authz: AuthorizationService,
    @Optional() private readonly events: WriteEvents = new WriteEvents(),
  ) {
    this.plainParseOptions = {
      camelToSnake: config.gateway.force_camel_case_to_snake_case,
      maxRows: config.gateway.max_rows,
      stripNullsHeader: undefined,
    };
  }

  /** The options of a call without an `X-Strip-Nulls` header (most calls): built once. */
  private readonly plainParseOptions: ParseOptions;

  private parseOptions(call: GatewayCall): ParseOptions {
    if (call.stripNulls === undefined) return this.plainParseOptions;
    return { ...this.plainParseOptions, stripNullsHeader: call.stripNulls };
  }

  /** The call's client (or a direct connection / custom_supabase) → the adapter to run on. */
  private async driverFor(call: GatewayCall, rec: CallRecord): Promise<BackendDriver> {
    const t = this.targets.resolve(call);
    const target = t instanceof Promise ? await t : t;
    rec.client = target.name;
    rec.backend = target.backend;
    if (target.ephemeral) rec.uncacheable = true;
    return target.driver;
  }

  /** `route`: the cache's route group (its TTL and metric label). */
  fetch(call: GatewayCall, body: unknown, route: CacheRoute = 'gateway_fetch'): Promise<GatewayOutcome> {
    return this.account(call, 'fetch', async (rec) => {
      const q = parseFetchPayload(body, this.parseOptions(call));
      this.authz.authorizeTable(call, 'read', q.table);
      const driver = await this.driverFor(call, rec);
      return this.runFetch(call, driver, q, rec, route);
    });
  }

  /** `GET /data`: the fetch named by query parameters (`view`, one `eq_column`/`eq_value`, paging …). */
  fetchByQuery(call: GatewayCall, query: Record<string, string | string[] | undefined>): Promise<GatewayOutcome> {
    return this.account(call, 'fetch', async (rec) => {
      const q = parseDataQuery(query, this.parseOptions(call));
      this.authz.authorizeTable(call, 'read', q.table);
      const driver = await this.driverFor(call, rec);
      return this.runFetch(call, driver, q, rec, 'data');
    });
  }

  private async runFetch(
    call: GatewayCall,
    driver: BackendDriver,
    q: FetchQuery,
    rec: CallRecord,
    route: CacheRoute,
  ): Promise<GatewayOutcome> {
    rec.table = tableName(q.table);
    // The parsed AST is the cache key's normal form (plus client, rights scope and invalidation generation).
    const cached = await this.cache.lookup<CachedAnswer>(
      call,
      route,
      driver.clientName,
      q,
      driver.defaultNamespace(),
      !rec.uncacheable,
    );
    rec.cacheKey = cached.key;
    rec.cacheOutcome = cached.outcome;
    const cache = { outcome: cached.outcome, tier: cached.tier, key: cached.key };
    if (cached.value !== undefined) {
      // A hit is sent as the bytes stored (no parse + serialize per hit); `body` parses them only if read.
      const { rows, json } = cached.value;
      rec.rowsReturned = rows ?? undefined;
      return preSerialized(json, cache);
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
    // Serialized once: the same bytes are stored in the cache and sent to the caller.
    const json = JSON.stringify(envelope);
    cached.store({ rows: rows.length, json });
    return { body: envelope, json, status: 200, cache };
  }

  insert(call: GatewayCall, body: unknown): Promise<GatewayOutcome> {
    return this.account(call, 'insert', async (rec) => {
      const c = parseInsertPayload(body, this.parseOptions(call));
      this.authz.authorizeTable(call, 'write', c.table);
      const driver = await this.driverFor(call, rec);
      rec.table = tableName(c.table);
      const res = await this.write(driver, c.table, () => driver.insert(c));
      rec.rowsAffected = res.count;
      if (this.events.active && res.count > 0)
        this.events.emit({
          operation: 'insert',
          client: driver.clientName,
          table: rec.table,
          rows: res.rows,
          requestId: call.requestId,
          at: Date.now(),
        });
      const data = c.single ? (res.rows[0] ?? null) : res.rows;
      return done(ok(`Inserted ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, data, { count: res.count }));
    });
  }

  update(call: GatewayCall, body: unknown): Promise<GatewayOutcome> {
    return this.account(call, 'update', async (rec) => {
      const c = parseUpdatePayload(body, this.parseOptions(call));
      this.authz.authorizeTable(call, 'write', c.table);
      const driver = await this.driverFor(call, rec);
      rec.table = tableName(c.table);
      const res = await this.write(driver, c.table, () => driver.update(c));
      rec.rowsAffected = res.count;
      if (this.events.active && res.count > 0)
        this.events.emit({
          operation: 'update',
          client: driver.clientName,
          table: rec.table,
          rows: res.rows,
          requestId: call.requestId,
          at: Date.now(),
        });
      const rows = c.stripNulls ? stripNullFields(res.rows) : res.rows;
      const extra: Record<string, unknown> = { count: res.count };
      if (c.postProcessing) extra.post_processing = applyPostProcessing(rows, c.postProcessing);
      return done(ok(`Updated ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, rows, extra));
    });
  }

  delete(call: GatewayCall, body: unknown): Promise<GatewayOutcome> {
    return this.account(call, 'delete', async (rec) => {
      const c = parseDeletePayload(body, this.parseOptions(call));
      this.authz.authorizeTable(call, 'delete', c.table);
      const driver = await this.driverFor(call, rec);
      rec.table = tableName(c.table);
      rec.resourceId = c.resourceId;
      const res = await this.write(driver, c.table, () => driver.delete(c));
      rec.rowsAffected = res.count;
      if (this.events.active && res.count > 0)
        this.events.emit({
          operation: 'delete',
          client: driver.clientName,
          table: rec.table,
          rows: res.rows,
          requestId: call.requestId,
          at: Date.now(),
        });
      return done(
        ok(`Deleted ${res.count} ${res.count === 1 ? 'row' : 'rows'}`, res.rows, {
          count: res.count,
          table_name: rec.table,
          resource_id: c.resourceId,
        }),
      );
    });
  }

  query(call: GatewayCall, body: unknown): Promise<GatewayOutcome> {
    return this.account(call, 'query', async (rec) => {
      this.authz.authorize(call, RAW_QUERY_RIGHT);
      const driver = await this.driverFor(call, rec);
      const sql = normalizeSql(body);
      // Raw SQL can touch any table (and triggers, cascades): anything but a plain read invalidates the client.
      const res = await this.write(
        driver,
        null,
        () => driver.rawQuery(sql),
        (r) => !isPlainRead(sql, r.command),
        !isPlainRead(sql, leadingKeyword(sql)),
      );
      rec.rowsReturned = res.rows.length;
      rec.rowsAffected = res.rowCount;
      return done(
        ok('Query executed', res.rows, {
          count: res.command === 'SELECT' ? res.rows.length : res.rowCount,
          command: res.command,
        }),
      );
    });
  }

  /** Runs a write through the cache's invalidation rule (see ResponseCacheService.write). */
  private write<T>(
    driver: BackendDriver,
    table: TableRef | null,
    run: () => Promise<T>,
    changes?: (res: T) => boolean,
    changesOnError?: boolean,
  ): Promise<T> {
    return this.cache.write(driver.clientName, table, driver.defaultNamespace(), run, changes, changesOnError);
  }

  /** Runs a use case and records logs/metrics/trace exactly once, on success and on failure. */
  private account(
    call: GatewayCall,
    operation: Operation,
    fn: (rec: CallRecord) => Promise<GatewayOutcome>,
  ): Promise<GatewayOutcome> {
    return this.accounting.account<GatewayOutcome, CallRecord>(call, operation, fn);
  }
}

function done(body: SuccessEnvelope): GatewayOutcome {
  return { body, status: 200 };
}

function tableName(t: { schema: string | null; name: string }): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

/** `{query}` → one trimmed statement without its trailing semicolon. */
export function normalizeSql(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw GatewayErrors.invalidQueryPayload('Invalid query payload', 'Send a JSON object: {"query": "<SQL>"}');
  }
  const raw = (body as { query?: unknown }).query;
  if (typeof raw !== 'string') {
    throw GatewayErrors.invalidQueryPayload(
      'Invalid query payload',
      '"query" must be a string holding one SQL statement',
    );
  }
  return normalizeSqlText(raw, 'SQL statement');
}
