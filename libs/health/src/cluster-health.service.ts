import { Inject, Injectable } from '@nestjs/common';
import { AthenaError } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { CatalogEntry, ClientCatalogService } from '@athena/catalog';
import { DirectConnectionService, DriverRegistry, SupabaseDriver } from '@athena/drivers';
import { MetricsService } from '@athena/observability';
import { Gauge } from 'prom-client';
import { mapBounded } from './bounded';
import { ATHENA_VERSION } from './version';

/** Probes in flight at once: a /health/cluster run opens at most this many connection attempts. */
export const CLUSTER_PROBE_CONCURRENCY = 16;

export interface ClientProbe {
  name: string;
  backend: string;
  source: string;
  status: 'online' | 'offline' | 'unconfigured' | 'frozen' | 'inactive';
  latency_ms: number | null;
  /** A stable error class (never a raw driver message: this route is unauthenticated). */
  error: string | null;
  /** Supabase clients: the circuit breaker's state. */
  breaker?: 'closed' | 'open' | 'half_open';
}

/** How many clients are in each state: the anonymous `/health/cluster` answer carries only these counts. */
export type ClientCounts = Record<'total' | ClientProbe['status'], number>;

export interface ClusterHealth {
  status: 'ok' | 'degraded';
  message: string;
  version: string;
  cargo_toml_version: string;
  athena_api: 'online';
  athena_deadpool: 'online' | 'offline';
  athena_scylladb: 'online' | 'offline';
  checked_at: string;
  cached: boolean;
  timeout_ms: number;
  clients: ClientProbe[];
  direct_connections: { enabled: boolean; pools: number };
  /** The seed's mirror list (other gateway instances); none are configured by this version. */
  mirrors: unknown[];
}

/** The anonymous view of a snapshot: everything but the per-client list, which becomes counts. */
export function aggregateView(
  h: ClusterHealth,
): Omit<ClusterHealth, 'clients'> & { client_counts: ClientCounts; detail: 'aggregate' } {
  const counts: ClientCounts = {
    total: h.clients.length,
    online: 0,
    offline: 0,
    unconfigured: 0,
    frozen: 0,
    inactive: 0,
  };
  for (const c of h.clients) counts[c.status]++;
  const { clients: _clients, ...rest } = h;
  return { ...rest, client_counts: counts, detail: 'aggregate' };
}

/**
 * `/health/cluster`: probes every configured client of every backend, CLUSTER_PROBE_CONCURRENCY at a time, each bounded by
 * `gateway.health_cluster.timeout_ms`, and reuses one answer for `cache_ms` (concurrent callers share one probe run).
 */
@Injectable()
export class ClusterHealthService {
  private cached: { at: number; value: ClusterHealth } | null = null;
  private running: Promise<ClusterHealth> | null = null;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly catalog: ClientCatalogService,
    private readonly drivers: DriverRegistry,
    private readonly direct: DirectConnectionService,
    metrics: MetricsService,
  ) {
    const adapters = this.drivers;
    new Gauge({
      name: 'athena_supabase_breaker_state',
      help: 'Circuit breaker of each Supabase client: 0 closed, 1 half-open, 2 open',
      labelNames: ['client'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [name, d] of adapters.entries()) {
          if (d instanceof SupabaseDriver)
            this.set({ client: name }, d.breakerState === 'open' ? 2 : d.breakerState === 'half_open' ? 1 : 0);
        }
      },
    });
  }

  async snapshot(): Promise<ClusterHealth> {
    const ttl = this.config.gateway.health_cluster.cache_ms;
    if (this.cached && Date.now() - this.cached.at < ttl) return { ...this.cached.value, cached: true };
    if (!this.running) {
      this.running = this.probeAll()
        .then((value) => {
          this.cached = { at: Date.now(), value };
          return value;
        })
        .finally(() => {
          this.running = null;
        });
    }
    return this.running;
  }

  private async probeAll(): Promise<ClusterHealth> {
    const clients = await mapBounded(this.catalog.list(), CLUSTER_PROBE_CONCURRENCY, (e) => this.probe(e));
    const up = (b: string) => clients.some((c) => c.backend === b && c.status === 'online');
    const degraded = clients.some((c) => c.status === 'offline');
    return {
      status: degraded ? 'degraded' : 'ok',
      message: degraded ? 'One or more clients are unreachable' : 'All configured clients are reachable',
      version: ATHENA_VERSION,
      cargo_toml_version: ATHENA_VERSION,
      athena_api: 'online',
      athena_deadpool: up('postgres') ? 'online' : 'offline',
      athena_scylladb: up('scylla') ? 'online' : 'offline',
      checked_at: new Date().toISOString(),
      cached: false,
      timeout_ms: this.config.gateway.health_cluster.timeout_ms,
      clients,
      direct_connections: { enabled: this.config.gateway.direct_connections.enabled, pools: this.direct.size },
      mirrors: [],
    };
  }

  private async probe(e: CatalogEntry): Promise<ClientProbe> {
    const base = { name: e.name, backend: e.backend, source: e.source, latency_ms: null, error: null };
    if (!e.active) return { ...base, status: 'inactive' };
    if (e.frozen) return { ...base, status: 'frozen' };
    if (!e.descriptor) return { ...base, status: 'unconfigured' };
    const timeout = this.config.gateway.health_cluster.timeout_ms;
    let driver;
    try {
      driver = this.drivers.forClient(e.descriptor);
    } catch {
      return { ...base, status: 'offline', error: 'adapter_unavailable' };
    }
    const breaker = driver instanceof SupabaseDriver ? { breaker: driver.breakerState } : {};
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        driver.ping(timeout),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'timeout' })), timeout);
        }),
      ]);
      return { ...base, ...breaker, status: 'online', latency_ms: Math.round((performance.now() - started) * 10) / 10 };
    } catch (err) {
      return { ...base, ...breaker, status: 'offline', error: errorClass(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorClass(err: unknown): string {
  if (err instanceof AthenaError) return err.code;
  const e = err as { code?: unknown; message?: string };
  if (typeof e?.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code)) return e.code.toLowerCase();
  if (/timed? ?out/i.test(e?.message ?? '')) return 'timeout';
  return 'unreachable';
}
