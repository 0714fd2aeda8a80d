import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import type { Logger as PinoLogger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import { MemoryPacedBudget, PacedBudget, PacedBudgetResult, RedisPacedBudget } from './paced-budget';

export type AdmissionOutcome = 'admitted' | 'rejected' | 'deferred';
export type AdmissionScope = 'global' | 'client' | 'none';

/** What admission needs to know about a call (no transport types). */
export interface AdmissionRequest {
  /** Route template (e.g. `/gateway/fetch`). */
  route: string;
  /** `X-Athena-Client` (or the frame's client), null when absent. */
  client: string | null;
  /** The call can never be deferred (direct URI, custom Supabase credentials). */
  inlineOnly: boolean;
  /** The caller asked for deferral (`X-Athena-Defer: true`) on a route that accepts it. */
  deferRequested?: boolean;
}

export interface AdmissionDecision {
  outcome: AdmissionOutcome;
  /** The budget that was exhausted (`none` when admitted). */
  scope: AdmissionScope;
  /** Seconds until the budget admits the next call (0 when admitted). */
  retryAfterSecs: number;
}

const ADMIT: AdmissionDecision = Object.freeze({
  outcome: 'admitted',
  scope: 'none',
  retryAfterSecs: 0,
}) as AdmissionDecision;

/** Routes subject to admission: the data-plane routes. Status polling of deferred jobs is not. */
export function isAdmissionRoute(route: string): boolean {
  if (route.startsWith('/gateway/deferred')) return false;
  return route.startsWith('/gateway/') || route === '/data' || route === '/query/sql' || route.startsWith('/pipelines');
}

/** Routes the deferred worker can run, by route template. */
export const DEFERRABLE_ROUTES: ReadonlyMap<string, 'fetch' | 'query' | 'insert' | 'update' | 'delete'> = new Map([
  ['/gateway/fetch', 'fetch'],
  ['/gateway/data', 'fetch'],
  ['/gateway/query', 'query'],
  ['/gateway/insert', 'insert'],
  ['/gateway/update', 'update'],
  ['/gateway/delete', 'delete'],
] as const);

/** Routes that accept an explicit `X-Athena-Defer: true`. */
export const EXPLICIT_DEFER_ROUTES: ReadonlySet<string> = new Set(['/gateway/query', '/gateway/fetch']);

/** `X-Athena-Defer` truthiness: true|1|yes|on (any case). */
export function deferRequested(v: string | undefined): boolean {
  if (v === undefined) return false;
  const t = v.trim().toLowerCase();
  return t === 'true' || t === '1' || t === 'yes' || t === 'on';
}

const REDIS_TIMEOUT_MS = 250;
const WARN_EVERY_MS = 10_000;

/**
 * Admission control, transport-free: a global and a per-client request budget per window
 * (`gateway.admission_*`), paced (GCRA, see PacedBudget: an idle budget admits its whole window at once, a
 * saturated one admits calls evenly spread over the window), counted in Redis so every instance sharing it shares
 * the budgets (one atomic script per budget). Once a budget refuses, the instance refuses that key from memory
 * until its next admission time (no Redis round trip per rejected call). While Redis is unreachable each instance
 * falls back to in-memory budgets of the same size — degraded (its own share of the budget only), logged and
 * exposed as `athena_gateway_admission_degraded` = 1; never unlimited. Over budget: `deferred` when
 * `admission_defer_on_limit_enabled` and the route matches `admission_defer_route_prefixes` and can be run by the
 * worker, else `rejected` (429 at the HTTP edge). Called by the HTTP onRequest hook before the body is parsed;
 * a WebSocket dispatcher can call `check` the same way.
 */
@Injectable()
export class AdmissionService implements OnModuleDestroy {
  readonly enabled: boolean;
  private readonly windowSecs: number;
  private readonly globalLimit: number;
  private readonly clientLimit: number;
  private readonly deferOnLimit: boolean;
  private readonly deferPrefixes: readonly string[];
  private readonly redis: Redis | null;
  private readonly redisGlobal: RedisPacedBudget | null = null;
  private readonly redisClient: RedisPacedBudget | null = null;
  private readonly memGlobal: MemoryPacedBudget | null = null;
  private readonly memClient: MemoryPacedBudget | null = null;
  private readonly logger: PinoLogger;
  private degraded = false;
  private lastWarn = 0;
  private readonly decisions: Counter<'outcome' | 'scope'>;
  private readonly degradedGauge: Gauge<string>;
  private readonly fallbackDecisions: Counter<string>;
  private readonly admittedChild: { inc(): void };
  private readonly routeCache = new Map<string, boolean>();

  constructor(
    @Inject(ATHENA_CONFIG) config: AthenaConfig,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    const g = config.gateway;
    this.logger = root.child({ component: 'admission' });
    this.windowSecs = g.admission_window_secs;
    this.globalLimit = g.admission_global_requests_per_window;
    this.clientLimit = g.admission_per_client_requests_per_window;
    this.enabled = g.admission_limit_enabled && (this.globalLimit > 0 || this.clientLimit > 0);
    this.deferOnLimit = g.admission_defer_on_limit_enabled;
    this.deferPrefixes = g.admission_defer_route_prefixes;
    const registers = [metrics.registry];
    this.decisions = new Counter({
      name: 'athena_gateway_admission_decisions_total',
      help: 'Admission decisions by outcome (admitted|rejected|deferred) and the budget that decided (global|client|none)',
      labelNames: ['outcome', 'scope'] as const,
      registers,
    });
    this.degradedGauge = new Gauge({
      name: 'athena_gateway_admission_degraded',
      help: "1 while Redis is configured but unreachable and budgets are counted in this instance's memory only",
      registers,
    });
    this.fallbackDecisions = new Counter({
      name: 'athena_gateway_admission_memory_decisions_total',
      help: 'Admission checks counted in the in-memory fallback (Redis down or not configured)',
      registers,
    });
    this.admittedChild = this.decisions.labels('admitted', 'none');
    this.redis = null;
    if (!this.enabled) return;
    const duration = this.windowSecs;
    const windowMs = duration * 1000;
    const burst = g.admission_burst_requests;
    const globalBudget = this.globalLimit > 0 ? new PacedBudget(this.globalLimit, windowMs, burst) : null;
    const clientBudget = this.clientLimit > 0 ? new PacedBudget(this.clientLimit, windowMs, burst) : null;
    if (globalBudget) this.memGlobal = new MemoryPacedBudget(globalBudget);
    if (clientBudget) this.memClient = new MemoryPacedBudget(clientBudget);
    const url = config.redis.url;
    if (!url) {
      this.logger.warn(
        { window_secs: duration },
        'admission: no redis.url — budgets are counted per instance (in memory)',
      );
      return;
    }
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_TIMEOUT_MS,
      connectionName: 'athena-admission',
      retryStrategy: (n) => Math.min(n * 200, 2000),
    });
    this.redis.on('error', () => undefined); // state is read from `status`; failures are counted per decision
    const prefix = config.gateway.admission_redis_key_prefix;
    if (globalBudget) this.redisGlobal = new RedisPacedBudget(this.redis, globalBudget, `${prefix}tat:g:`);
    if (clientBudget) this.redisClient = new RedisPacedBudget(this.redis, clientBudget, `${prefix}tat:c:`);
  }

  /** Whether `route` is subject to admission at all (memoized per route template). */
  applies(route: string): boolean {
    if (!this.enabled) return false;
    let v = this.routeCache.get(route);
    if (v === undefined) {
      v = isAdmissionRoute(route);
      if (this.routeCache.size < 1000) this.routeCache.set(route, v);
    }
    return v;
  }

  /**
   * Whether an over-budget call is deferred instead of rejected: never for inline-only calls; always when the
   * caller asked for deferral; otherwise when defer-on-limit is on, the route matches a configured prefix and
   * the worker can run it.
   */
  defersOnLimit(req: AdmissionRequest): boolean {
    if (req.inlineOnly) return false;
    if (req.deferRequested) return true;
    return (
      this.deferOnLimit && DEFERRABLE_ROUTES.has(req.route) && this.deferPrefixes.some((p) => req.route.startsWith(p))
    );
  }

  /** Consumes one unit of each budget; synchronous `admitted` when admission does not apply. */
  check(req: AdmissionRequest): AdmissionDecision | Promise<AdmissionDecision> {
    if (!this.applies(req.route)) return ADMIT;
    const clientKey = (req.client ?? '-').toLowerCase();
    const useRedis = this.redis !== null && this.redis.status === 'ready';
    if (!useRedis) return this.inMemory(req, clientKey);
    const g = take(this.redisGlobal, 'all');
    const c = take(this.redisClient, clientKey);
    // Both answered from memory (no budget, or a key refused until its next admission): decide synchronously.
    if (!(g instanceof Promise) && !(c instanceof Promise)) return this.decide(req, g, c);
    return Promise.all([g, c]).then(
      ([g, c]) => {
        if (this.degraded) this.recovered();
        return this.decide(req, g, c);
      },
      (e: unknown) => {
        this.fellBack(e);
        return this.inMemory(req, clientKey);
      },
    );
  }

  private inMemory(req: AdmissionRequest, clientKey: string): AdmissionDecision {
    this.fallbackDecisions.inc();
    if (this.redis !== null && !this.degraded) this.fellBack(new Error(`redis ${this.redis.status}`));
    return this.decide(req, take(this.memGlobal, 'all'), take(this.memClient, clientKey));
  }

  private decide(req: AdmissionRequest, g: Consumed, c: Consumed): AdmissionDecision {
    if (!c.over && !g.over) {
      this.admittedChild.inc();
      return ADMIT;
    }
    const scope: AdmissionScope = c.over ? 'client' : 'global';
    const ms = Math.max(c.over ? c.ms : 0, g.over ? g.ms : 0);
    const outcome: AdmissionOutcome = this.defersOnLimit(req) ? 'deferred' : 'rejected';
    this.decisions.inc({ outcome, scope });
    return { outcome, scope, retryAfterSecs: Math.max(1, Math.ceil(ms / 1000)) };
  }

  private fellBack(e: unknown): void {
    if (!this.degraded) {
      this.degraded = true;
      this.degradedGauge.set(1);
    }
    const now = Date.now();
    if (now - this.lastWarn > WARN_EVERY_MS) {
      this.lastWarn = now;
      this.logger.warn(
        { err: (e as Error).message },
        "admission: Redis unreachable — counting budgets in this instance's memory (degraded) until it is back",
      );
    }
  }

  private recovered(): void {
    this.degraded = false;
    this.degradedGauge.set(0);
    this.logger.info('admission: Redis reachable again — budgets are shared across instances');
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.redis) this.redis.disconnect();
  }
}

interface Consumed {
  over: boolean;
  ms: number;
}
const UNDER: Consumed = Object.freeze({ over: false, ms: 0 });

function consumed(r: PacedBudgetResult): Consumed {
  return r.admitted ? UNDER : { over: true, ms: r.retryMs };
}

/** One call from `budget` under `key` (no budget: under); a Redis failure rejects. */
function take(budget: MemoryPacedBudget | null, key: string): Consumed;
function take(budget: RedisPacedBudget | null, key: string): Consumed | Promise<Consumed>;
function take(budget: MemoryPacedBudget | RedisPacedBudget | null, key: string): Consumed | Promise<Consumed> {
  if (budget === null) return UNDER;
  const r = budget.take(key);
  return r instanceof Promise ? r.then(consumed) : consumed(r);
}
