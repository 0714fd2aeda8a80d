import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import type { Logger as PinoLogger } from 'pino';
import { AthenaError, GatewayCall } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import type { FetchQuery, TableRef } from '@athena/query';
import { buildCacheKey, tableId } from './cache-key';
import { CacheMetrics, CacheOutcome, CacheTier } from './cache-metrics';
import { CacheRoute } from './cache-request';
import { MemoryTier } from './memory-tier';
import { RedisTier } from './redis-tier';

/** What a lookup found, and how to store the fresh answer on a miss. */
export interface CacheLookup<T> {
  /** The readable cache key (`<table>:<col>:<value>:<hash>`), returned to the caller as `cache_key`. */
  key: string;
  outcome: CacheOutcome;
  tier: CacheTier;
  /** The cached value on a hit. */
  value?: T;
  /** Stores the fresh answer (a no-op when the directive forbids it). Never awaits I/O on the caller's path. */
  store(value: T): void;
}

const NO_STORE = (): void => undefined;
const LOCAL_GEN_MEMO_PER_CLIENT = 1024;

/**
 * The two-tier response cache of gateway reads: cache-manager 7 over two Keyv stores — the in-process LRU
 * (`MemoryTier`, bounded by entries and bytes) and, when `redis.url` is set, the shared Redis tier
 * (`RedisTier`). Reads go memory → Redis (a Redis hit refills memory); writes go through to both.
 *
 * Invalidation by generation: every key hashes the (client, table) generation read just before the lookup
 * (one MGET in Redis; local counters while Redis is down). A write INCRs it before it answers, so any read that
 * starts afterwards — on any instance — computes a different key; a slow miss that started earlier stores
 * under the old generation, which nothing reaches any more. A pub/sub nudge drops the other instances'
 * in-process entries of that table at once (memory reclaim; correctness does not depend on it).
 */
@Injectable()
export class ResponseCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly memory: MemoryTier;
  private readonly redis: RedisTier | null;
  private readonly cache: Cache;
  private readonly memoryStore: Keyv;
  private readonly redisStore: Keyv | null;
  private readonly metrics: CacheMetrics;
  private readonly log: PinoLogger;
  /** Local generations: `<client>\0` (whole client) and `<client>\0<schema.table>`; used while Redis is down. */
  private readonly localGen = new Map<string, number>();
  /** The local generation text per client and table, rebuilt after any local invalidation (reads allocate none). */
  private readonly localGenText = new Map<string, Map<string, string>>();
  private readonly enabled: boolean;
  private readonly ttlMs: Record<CacheRoute, number>;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    const c = config.api.cache;
    this.log = root.child({ component: 'cache' });
    const ttl = (v: number | null) => (v ?? config.api.cache_ttl_seconds) * 1000;
    this.ttlMs = {
      gateway_fetch: ttl(c.ttl_seconds.gateway_fetch),
      gateway_data: ttl(c.ttl_seconds.gateway_data),
      data: ttl(c.ttl_seconds.data),
    };
    this.enabled = c.enabled && Object.values(this.ttlMs).some((t) => t > 0);
    this.memory = new MemoryTier({
      maxEntries: c.memory_max_entries,
      maxBytes: c.memory_max_bytes,
      maxEntryBytes: c.max_entry_bytes,
      onEvict: (reason) => this.metrics.evictions.inc({ reason }),
    });
    this.metrics = new CacheMetrics(metrics, () => ({ entries: this.memory.entries, bytes: this.memory.bytes }));
    const keyv = (store: unknown) => {
      const k = new Keyv({
        store,
        serialize: JSON.stringify,
        deserialize: (s: string) => JSON.parse(s),
        useKeyPrefix: false,
        namespace: undefined,
      });
      k.on('error', () => undefined); // the stores handle their own failures
      return k;
    };
    this.memoryStore = keyv(this.memory);
    // Even with caching off here, writes bump the shared generations so instances that do cache stay correct.
    this.redis =
      c.redis_enabled && config.redis.url
        ? new RedisTier(
            {
              url: config.redis.url,
              prefix: c.redis_key_prefix,
              timeoutMs: c.redis_timeout_ms,
              cooldownMs: c.redis_cooldown_ms,
            },
            {
              warn: (msg, f) => this.log.warn(f, msg),
              info: (msg, f) => this.log.info(f, msg),
              onError: (op) => this.metrics.redisErrors.inc({ op }),
              onState: (up) => this.onRedisState(up),
              onRemoteInvalidation: (client, table) => this.dropLocal(client, table, 'remote'),
            },
          )
        : null;
    this.redisStore = this.redis ? keyv(this.redis) : null;
    this.cache = createCache({ stores: this.redisStore ? [this.memoryStore, this.redisStore] : [this.memoryStore] });
  }

  async onModuleInit(): Promise<void> {
    await this.redis?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }

  /** True while the Redis tier is configured and in use. */
  get redisUp(): boolean {
    return this.redis?.up ?? false;
  }

  /**
   * Looks `query` up for `call` (its rights scope is part of the key), following the call's cache directive
   * (`Cache-Control` at the HTTP edge) and counting the outcome; the caller reports outcome and tier (HTTP:
   * `X-Athena-Cache`, `X-Athena-Cache-Tier`). `namespace`: where the backend resolves an unqualified table;
   * `cacheable: false` (ad-hoc targets) → bypass.
   *
   * Called from the gateway's fetch path between the one parse of the payload and the single-flight. Not a
   * Nest interceptor: on Node 20 + Nest 11.2 a no-op interceptor on /gateway/fetch alone (rxjs + two
   * AsyncResource.bind per call) raised the gateway's CPU per cached request from ~200 to ~380 µs and cut
   * hits from ~4,400 to ~2,600 req/s (bench/README.md).
   */
  async lookup<T>(
    call: GatewayCall,
    route: CacheRoute,
    client: string,
    query: FetchQuery,
    namespace = 'public',
    cacheable = true,
  ): Promise<CacheLookup<T>> {
    const d = call.cache;
    const ttl = this.ttlMs[route];
    const on = cacheable && this.enabled && ttl > 0;
    const table = tableId(query.table, namespace);
    const generation =
      (on && this.redis ? await this.redis.generation(client, table) : null) ?? this.localGeneration(client, table);
    const key = buildCacheKey({
      client,
      scope: call.principal.context.scope,
      generation,
      query,
      camelToSnake: this.config.gateway.force_camel_case_to_snake_case,
      namespace,
    });
    let outcome: CacheOutcome = 'bypass';
    let tier: CacheTier = 'none';
    let value: T | undefined;
    if (on && d.read) {
      outcome = 'miss';
      value = this.memory.read<T>(key); // the Keyv entry, read synchronously (hot path)
      if (value !== undefined) {
        outcome = 'hit';
        tier = 'memory';
      } else if (this.redisStore) {
        // An entry that does not parse (written by something else under our prefix) is a miss, not a 500.
        const raw = await this.redisStore.get<T>(key, { raw: true }).catch(() => undefined);
        if (raw && raw.value !== undefined) {
          value = raw.value;
          outcome = 'hit';
          tier = 'redis';
          const left = typeof raw.expires === 'number' ? raw.expires - Date.now() : ttl;
          if (left > 0) {
            this.memory.tag(key, `${client}\u0000${table}`);
            this.memoryStore.set(key, value, left).catch(() => undefined);
          }
        }
      }
    }
    this.metrics.lookup(route, outcome, tier);
    // A hit stores nothing: no store closure is allocated for it.
    const store =
      on && d.write && outcome !== 'hit'
        ? (fresh: T) => {
            this.memory.tag(key, `${client}\u0000${table}`);
            this.cache.set(key, fresh, ttl).catch(() => undefined);
          }
        : NO_STORE;
    return { key, outcome, tier, value, store };
  }

  /**
   * A write to (client, table) succeeded: drop this instance's entries, bump the generation in Redis (awaited,
   * so reads that start after the write answers see it) and nudge the other instances. `table` null = every
   * table of the client (raw SQL). With `api.cache.invalidation: client`, every write is client-wide.
   */
  async invalidate(client: string, table: TableRef | null, namespace = 'public'): Promise<void> {
    const t = table && this.config.api.cache.invalidation === 'table' ? tableId(table, namespace) : null;
    this.dropLocal(client, t, 'local');
    if (this.redis) await this.redis.bump(client, t);
  }

  /**
   * Runs a write and invalidates the cached reads of (client, table) — `table` null: the whole client — before
   * answering. Also after a failure that may have happened after the backend applied the write (a timeout, a lost
   * connection: any 5xx), so a write whose answer was lost cannot leave stale reads behind. `changes` says whether
   * a successful result changed data, `changesOnError` the same for a failure (raw SQL: whether it is a plain read).
   */
  async write<T>(
    client: string,
    table: TableRef | null,
    namespace: string,
    run: () => Promise<T>,
    changes: (res: T) => boolean = () => true,
    changesOnError = true,
  ): Promise<T> {
    let res: T;
    try {
      res = await run();
    } catch (err) {
      const maybeApplied = !(err instanceof AthenaError) || err.status >= 500;
      if (maybeApplied && changesOnError) await this.invalidate(client, table, namespace).catch(() => undefined);
      throw err;
    }
    if (changes(res)) await this.invalidate(client, table, namespace);
    return res;
  }

  private dropLocal(client: string, table: string | null, origin: 'local' | 'remote'): void {
    const g = `${client}\u0000${table ?? ''}`;
    this.localGen.set(g, (this.localGen.get(g) ?? 0) + 1);
    this.localGenText.clear();
    if (table === null) this.memory.dropTagPrefix(`${client}\u0000`);
    else this.memory.dropTag(`${client}\u0000${table}`);
    this.metrics.invalidations.inc({ scope: table === null ? 'client' : 'table', origin });
  }

  private localGeneration(client: string, table: string): string {
    let byTable = this.localGenText.get(client);
    if (byTable === undefined) this.localGenText.set(client, (byTable = new Map()));
    let text = byTable.get(table);
    if (text === undefined) {
      text = `l${this.localGen.get(`${client}\u0000`) ?? 0}.${this.localGen.get(`${client}\u0000${table}`) ?? 0}`;
      // The lookup runs before the backend has checked that the table exists: a bounded memo, not a registry.
      if (byTable.size >= LOCAL_GEN_MEMO_PER_CLIENT) byTable.clear();
      byTable.set(table, text);
    }
    return text;
  }

  /**
   * Redis went down or came back. Either way the memory tier is emptied: entries validated against Redis
   * generations cannot be trusted across an outage (writes elsewhere could not bump them), and entries stored
   * during the outage were never visible to other instances' invalidations.
   */
  private onRedisState(up: boolean): void {
    this.metrics.redisUp.set(up ? 1 : 0);
    if (!up) this.metrics.redisOutages.inc();
    this.memory.clear();
  }

  /** Memory-tier size (tests, diagnostics). */
  memoryStats(): { entries: number; bytes: number } {
    return { entries: this.memory.entries, bytes: this.memory.bytes };
  }
}
