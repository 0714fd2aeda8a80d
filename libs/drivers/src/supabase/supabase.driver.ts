import { Logger } from '@nestjs/common';
import type * as SupabaseJs from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import { lazyModule } from '@athena/common';
import CircuitBreaker from 'opossum';
import { AthenaError } from '@athena/common';
import type { SupabaseBreakerConfig } from '@athena/config';
import type {
  ColumnInfo,
  DeleteCommand,
  FetchQuery,
  InsertCommand,
  Row,
  TableRef,
  TableSchema,
  UpdateCommand,
} from '@athena/query';
import { BackendDriver, capRows, FetchResult, MutationResult, PoolStats, RawQueryResult } from '../backend-driver';
import { applyFilters, FilterTarget } from './postgrest-filters';
import { fetchFailure, isTransientStatus, mapPostgrestError, PostgrestErrorLike } from './postgrest-errors';
import { DriversErrors } from '../errors';

/** supabase-js, required on first use (see lazyModule): only gateways with a Supabase client load it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred require (boot memory)
const supabaseJs = lazyModule(() => require('@supabase/supabase-js') as typeof SupabaseJs);

export interface SupabaseBreakerOptions {
  volumeThreshold: number;
  errorThresholdPercentage: number;
  rollingWindowMs: number;
  resetMs: number;
}

/** `gateway.supabase` → breaker options. */
export function breakerOptions(c: SupabaseBreakerConfig): SupabaseBreakerOptions {
  return {
    volumeThreshold: c.breaker_volume_threshold,
    errorThresholdPercentage: c.breaker_error_threshold_percentage,
    rollingWindowMs: c.breaker_rolling_window_ms,
    resetMs: c.breaker_reset_ms,
  };
}

export interface SupabaseDriverOptions {
  clientName: string;
  /** Project URL, e.g. https://abc.supabase.co (PostgREST lives under /rest/v1). */
  url: string;
  /** API key (a secret: never logged). */
  key: string;
  timeoutMs: number;
  schema: string;
  breaker: SupabaseBreakerOptions;
  /** A fetch implementation (custom_supabase passes one that refuses non-public addresses at connect time). */
  fetch?: typeof fetch;
}

/** What supabase-js resolves a builder to. */
interface PgrstResponse {
  data: unknown;
  error: PostgrestErrorLike | null;
  status: number;
}

/** A postgrest-js builder: thenable, filterable, with abortSignal/select/order/range. */
interface Builder extends FilterTarget<Builder>, PromiseLike<PgrstResponse> {
  select(columns?: string): Builder;
  order(column: string, opts: { ascending: boolean }): Builder;
  range(from: number, to: number): Builder;
  abortSignal(signal: AbortSignal): Builder;
}

/**
 * Supabase adapter: the backend-neutral AST mapped onto supabase-js (PostgREST) builder calls. Every call runs
 * through a circuit breaker of its own (opossum): when the project fails (network, timeouts, 5xx), the breaker
 * opens and the client answers 503 at once until a trial call succeeds.
 */
export class SupabaseDriver extends BackendDriver {
  readonly backend = 'supabase' as const;
  readonly clientName: string;
  private readonly logger: Logger;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped project: tables are only known at run time
  private readonly client: SupabaseClient<any, any, any>;
  private readonly breaker: CircuitBreaker<[() => PromiseLike<PgrstResponse>], PgrstResponse>;
  private inflight = 0;
  private closed = false;
  /** Set by `retire()`: close as soon as the grace period is over and no call is in flight. */
  private retiring: 'no' | 'grace' | 'when_idle' = 'no';

  constructor(private readonly opts: SupabaseDriverOptions) {
    super();
    this.clientName = opts.clientName;
    this.logger = new Logger(`supabase:${opts.clientName}`);
    this.client = supabaseJs().createClient(opts.url, opts.key, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      db: { schema: opts.schema },
      global: { headers: { 'x-client-info': 'athena-gateway' }, ...(opts.fetch ? { fetch: opts.fetch } : {}) },
    });
    this.breaker = new CircuitBreaker((run: () => PromiseLike<PgrstResponse>) => this.execute(run), {
      timeout: false, // the request itself carries an AbortSignal timeout
      volumeThreshold: opts.breaker.volumeThreshold,
      errorThresholdPercentage: opts.breaker.errorThresholdPercentage,
      rollingCountTimeout: opts.breaker.rollingWindowMs,
      rollingCountBuckets: 10,
      resetTimeout: opts.breaker.resetMs,
      // Only transient failures count: a caller's bad request (4xx) says nothing about the project's health.
      errorFilter: (err: unknown) => err instanceof AthenaError && err.status < 500,
    });
    this.breaker.on('open', () => this.logger.warn(`circuit opened: failing fast for ${opts.breaker.resetMs} ms`));
    this.breaker.on('halfOpen', () => this.logger.log('circuit half-open: next call is a trial'));
    this.breaker.on('close', () => this.logger.log('circuit closed: backend recovered'));
  }

  /** Breaker state for /health/cluster. */
  get breakerState(): 'closed' | 'open' | 'half_open' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  private async execute(run: () => PromiseLike<PgrstResponse>): Promise<PgrstResponse> {
    const res = await run();
    if (res.error) throw mapPostgrestError(res.status, res.error, this.clientName);
    return res;
  }

  /** Runs one builder through the breaker, with the request timeout. */
  private async call(build: () => Builder): Promise<PgrstResponse> {
    if (this.closed)
      throw DriversErrors.backendUnavailable(`Client "${this.clientName}" is shutting down`, undefined, undefined, {
        'Retry-After': '1',
      });
    this.inflight++;
    try {
      return await this.breaker.fire(() => build().abortSignal(AbortSignal.timeout(this.opts.timeoutMs)));
    } catch (err) {
      if (err instanceof AthenaError) throw err;
      if ((err as { code?: string }).code === 'EOPENBREAKER') {
        throw DriversErrors.backendUnavailable(
          `Backend for client "${this.clientName}" is unavailable`,
          `The Supabase project behind client "${this.clientName}" failed repeatedly; the gateway is failing fast (circuit open); retry later`,
          undefined,
          { 'Retry-After': String(Math.max(1, Math.ceil(this.opts.breaker.resetMs / 1000))) },
        );
      }
      throw mapPostgrestError(0, fetchFailure(err), this.clientName);
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (--this.inflight === 0 && this.retiring === 'when_idle') void this.close();
  }

  /**
   * Closes this adapter once it is no longer in use: after `graceMs` (a request that already resolved the adapter
   * but has not called it yet still runs) and once the last in-flight call has finished. Never cuts a call short.
   */
  retire(graceMs: number): void {
    if (this.retiring !== 'no' || this.closed) return;
    this.retiring = 'grace';
    setTimeout(() => {
      this.retiring = 'when_idle';
      if (this.inflight === 0) void this.close();
    }, graceMs).unref();
  }

  private from(t: TableRef) {
    const c = t.schema && t.schema !== this.opts.schema ? this.client.schema(t.schema) : this.client;
    return c.from(t.name);
  }

  async fetch(q: FetchQuery): Promise<FetchResult> {
    const take = q.probeTruncation ? q.limit + 1 : q.limit;
    const res = await this.call(() => {
      let b = this.from(q.table).select(select(q.columns)) as unknown as Builder;
      b = applyFilters(b, q.conditions);
      if (q.sort) b = b.order(q.sort.column, { ascending: q.sort.direction === 'asc' });
      return b.range(q.offset, q.offset + take - 1);
    });
    return capRows(asRows(res.data), q);
  }

  async insert(c: InsertCommand): Promise<MutationResult> {
    if (c.updateBody !== null) {
      throw DriversErrors.unsupportedByBackend(
        'update_body is not supported on Supabase clients',
        'PostgREST upserts merge the inserted columns on conflict; send on_conflict without update_body (put the values to set in insert_body)',
      );
    }
    const cols = new Set(c.rows.flatMap((r) => Object.keys(r)));
    const res = await this.call(() => {
      const t = this.from(c.table);
      const b = c.onConflict
        ? t.upsert(c.rows, {
            onConflict: c.onConflict.join(','),
            ignoreDuplicates: [...cols].every((k) => c.onConflict!.includes(k)),
          })
        : t.insert(c.rows);
      return (b as unknown as Builder).select(select(c.returning));
    });
    const rows = asRows(res.data);
    return { rows, count: rows.length };
  }

  async update(c: UpdateCommand): Promise<MutationResult> {
    const res = await this.call(() =>
      applyFilters(this.from(c.table).update(c.set) as unknown as Builder, c.conditions).select(select(c.returning)),
    );
    const rows = asRows(res.data);
    return { rows, count: rows.length };
  }

  async delete(c: DeleteCommand): Promise<MutationResult> {
    const res = await this.call(() =>
      applyFilters(this.from(c.table).delete() as unknown as Builder, c.conditions).select(select(c.returning)),
    );
    const rows = asRows(res.data);
    return { rows, count: rows.length };
  }

  override defaultNamespace(): string {
    return this.opts.schema;
  }

  rawQuery(): Promise<RawQueryResult> {
    return Promise.reject(
      DriversErrors.unsupportedByBackend(
        'Raw SQL is not supported on Supabase clients',
        `Client "${this.clientName}" is reached through PostgREST, which has no raw SQL endpoint; use the gateway routes (fetch/insert/update/delete), or register the project's PostgreSQL connection string as a postgres client`,
      ),
    );
  }

  /** PostgREST's OpenAPI root (`GET /rest/v1/`) answers when the project is up and the key is accepted. */
  async ping(timeoutMs = 2000): Promise<void> {
    const res = await this.rest('', timeoutMs);
    await res.body?.cancel();
  }

  /** Columns and primary key from PostgREST's OpenAPI description (`definitions.<table>`). */
  async describe(table: TableRef): Promise<TableSchema> {
    const schema = table.schema ?? this.opts.schema;
    const res = await this.rest(schema, this.opts.timeoutMs);
    const doc = (await res.json()) as {
      definitions?: Record<
        string,
        { properties?: Record<string, { format?: string; description?: string }>; required?: string[] }
      >;
    };
    const def = doc.definitions?.[table.name];
    if (!def)
      throw DriversErrors.unknownTable(
        `Unknown table "${schema}.${table.name}"`,
        `Table "${schema}.${table.name}" is not exposed by the Supabase project of client "${this.clientName}"`,
      );
    const columns = new Map<string, ColumnInfo>();
    const primaryKey: string[] = [];
    for (const [name, p] of Object.entries(def.properties ?? {})) {
      const type = (p.format ?? 'text').replace(/^character varying$/, 'varchar');
      columns.set(name, { name, type, nullable: !(def.required ?? []).includes(name), isArray: type.endsWith('[]') });
      if (p.description?.includes('<pk/>')) primaryKey.push(name);
    }
    return { schema, name: table.name, columns, primaryKey };
  }

  private async rest(profile: string, timeoutMs: number): Promise<Response> {
    if (this.closed)
      throw DriversErrors.backendUnavailable(`Client "${this.clientName}" is shutting down`, undefined, undefined, {
        'Retry-After': '1',
      });
    const f = this.opts.fetch ?? fetch;
    let res: Response;
    this.inflight++;
    try {
      res = await f(`${this.opts.url}/rest/v1/`, {
        headers: {
          apikey: this.opts.key,
          authorization: `Bearer ${this.opts.key}`,
          ...(profile ? { 'accept-profile': profile } : {}),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw mapPostgrestError(0, fetchFailure(err), this.clientName);
    } finally {
      this.release();
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as PostgrestErrorLike | null;
      throw isTransientStatus(res.status)
        ? mapPostgrestError(res.status, body, this.clientName)
        : mapPostgrestError(res.status, body ?? { message: `HTTP ${res.status}` }, this.clientName);
    }
    return res;
  }

  poolStats(): PoolStats {
    return { total: this.inflight, idle: 0, waiting: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.breaker.shutdown();
    await this.client.removeAllChannels().catch(() => undefined);
  }
}

function select(columns: string[] | null): string {
  return columns === null || columns.length === 0 ? '*' : columns.join(',');
}

function asRows(data: unknown): Row[] {
  if (Array.isArray(data)) return data as Row[];
  return data === null || data === undefined ? [] : [data as Row];
}
