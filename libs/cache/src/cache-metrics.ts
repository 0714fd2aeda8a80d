import { Counter, Gauge } from 'prom-client';
import { CounterBatch, type MetricsService } from '@athena/observability';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';
export type CacheTier = 'memory' | 'redis' | 'none';

/** The cache's Prometheus families, registered on the instance's MetricsService registry. */
export class CacheMetrics {
  readonly lookups: Counter<'route' | 'outcome' | 'tier'>;
  readonly evictions: Counter<'reason'>;
  readonly invalidations: Counter<'scope' | 'origin'>;
  readonly redisErrors: Counter<'op'>;
  readonly redisOutages: Counter<string>;
  readonly redisUp: Gauge<string>;
  private readonly children = new Map<string, { n: number }>();
  private readonly lookupCounts: CounterBatch<'route' | 'outcome' | 'tier'>;

  constructor(metrics: MetricsService, size: () => { entries: number; bytes: number }) {
    const registers = [metrics.registry];
    this.lookups = new Counter({
      name: 'athena_gateway_cache_lookups_total',
      help: 'Cache lookups of gateway reads by route group, outcome (hit|miss|bypass) and tier of a hit (memory|redis; none otherwise)',
      labelNames: ['route', 'outcome', 'tier'] as const,
      registers,
    });
    this.lookupCounts = new CounterBatch(this.lookups);
    this.evictions = new Counter({
      name: 'athena_gateway_cache_evictions_total',
      help: 'Entries that left the memory tier by reason (evict = LRU bound on entries/bytes, expire = TTL)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.invalidations = new Counter({
      name: 'athena_gateway_cache_invalidations_total',
      help: 'Cache invalidations by scope (table|client) and origin (local write | remote = pub/sub from another instance)',
      labelNames: ['scope', 'origin'] as const,
      registers,
    });
    this.redisErrors = new Counter({
      name: 'athena_gateway_cache_redis_errors_total',
      help: 'Failed Redis operations of the cache tier by operation (get|set|generation|invalidate|ping|connect|connection)',
      labelNames: ['op'] as const,
      registers,
    });
    this.redisOutages = new Counter({
      name: 'athena_gateway_cache_redis_outages_total',
      help: 'Times the Redis cache tier went down (one per outage)',
      registers,
    });
    this.redisUp = new Gauge({
      name: 'athena_gateway_cache_redis_up',
      help: '1 while the Redis cache tier is in use, 0 while it is down or not configured',
      registers,
    });
    this.redisUp.set(0);
    new Gauge({
      name: 'athena_gateway_cache_memory_entries',
      help: 'Entries in the in-process cache tier',
      registers,
      collect() {
        this.set(size().entries);
      },
    });
    new Gauge({
      name: 'athena_gateway_cache_memory_bytes',
      help: 'Serialized size of the entries in the in-process cache tier',
      registers,
      collect() {
        this.set(size().bytes);
      },
    });
  }

  /** Label-bound children: no label hashing per request. */
  lookup(route: string, outcome: CacheOutcome, tier: CacheTier): void {
    const k = `${route}\u0000${outcome}\u0000${tier}`;
    let c = this.children.get(k);
    if (!c) this.children.set(k, (c = this.lookupCounts.slot(k, { route, outcome, tier })));
    c.n++;
  }
}
