import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

export interface RedisTierOptions {
  url: string;
  /** Prefix of every key and of the invalidation channel (e.g. `athena:cache:`). */
  prefix: string;
  /** Connect and command timeout. */
  timeoutMs: number;
  /** After a failure, Redis is skipped this long before it is tried again. */
  cooldownMs: number;
}

export interface RedisTierHooks {
  /** One line per outage (the first failure), never per request. */
  warn(msg: string, fields: Record<string, unknown>): void;
  info(msg: string, fields: Record<string, unknown>): void;
  onError(op: string): void;
  /** The tier went down (a failure) or came back (after the cooldown and a successful PING). */
  onState(up: boolean): void;
  /** Another instance invalidated (client, table) — table null = every table of the client. */
  onRemoteInvalidation(client: string, table: string | null): void;
}

type State = 'starting' | 'up' | 'down' | 'closed';
const MAX_PENDING_TABLES_PER_CLIENT = 1000;

/**
 * The shared tier and the invalidation bus, on ioredis (already a dependency):
 * - entries: `<prefix>v:<cache key>` holding the JSON Keyv hands over, with a PX TTL;
 * - generations: `<prefix>g:<client>` and `<prefix>g:<client>:<schema.table>`, INCRed by writes and read
 *   (one MGET) by every lookup, so an entry stored under an older generation is unreachable everywhere;
 * - `<prefix>invalidate`: pub/sub nudge so other instances drop their in-process entries at once.
 *
 * Degradation: offline queue off, one retry, short timeouts; a failure marks the tier down (one warning,
 * a metric), every call short-circuits without I/O during `cooldownMs`, then the tier comes back by itself
 * once the connection is ready and a PING answers. Writes that could not bump a generation while Redis was
 * down are replayed on recovery. Never FLUSHDB: `clear()` refuses.
 */
export class RedisTier {
  readonly instanceId = randomUUID();
  private readonly client: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private state: State = 'starting';
  private downSince = 0;
  private cooldownUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Set<string> | 'all'>();
  /** Keyv store adapter fields. */
  opts: Record<string, unknown> = {};
  namespace?: string;

  constructor(
    private readonly o: RedisTierOptions,
    private readonly hooks: RedisTierHooks,
  ) {
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: Math.max(o.timeoutMs, 1000),
      commandTimeout: o.timeoutMs,
      enableReadyCheck: true,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
    };
    this.channel = `${o.prefix}invalidate`;
    this.client = new Redis(o.url, { ...common, connectionName: 'athena-cache' });
    this.sub = new Redis(o.url, { ...common, commandTimeout: undefined, connectionName: 'athena-cache-sub' });
    this.client.on('error', () => hooks.onError('connection'));
    this.sub.on('error', () => undefined); // the command connection reports; the subscriber just reconnects
    this.client.on('ready', () => this.tryRecover());
    this.client.on('close', () => {
      if (this.state === 'up') this.markDown('connection', new Error('connection closed'));
    });
    this.sub.on('ready', () => {
      this.sub.subscribe(this.channel).catch(() => undefined);
    });
    this.sub.on('message', (_ch: string, msg: string) => this.onMessage(msg));
  }

  /** Waits (at most `timeoutMs` × 4) for the first `ready`; the app starts either way. */
  async start(): Promise<void> {
    const wait = Math.max(this.o.timeoutMs * 4, 1000);
    const ready = await new Promise<boolean>((resolve) => {
      if (this.client.status === 'ready') return resolve(true);
      const t = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, wait);
      const onReady = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
    if (ready) await this.tryRecover();
    else if (this.state === 'starting') this.markDown('connect', new Error(`not ready after ${wait} ms`));
  }

  get up(): boolean {
    return this.state === 'up' && this.client.status === 'ready';
  }

  /** `r<client gen>.<table gen>`, or null when the tier is down (the caller then uses local generations). */
  async generation(client: string, table: string): Promise<string | null> {
    if (!this.up) return null;
    try {
      const [c, t] = await this.client.mget(this.genKey(client, null), this.genKey(client, table));
      return `r${c ?? 0}.${t ?? 0}`;
    } catch (e) {
      this.markDown('generation', e);
      return null;
    }
  }

  /** INCR the generation and publish the nudge, in one round trip; on failure the bump is replayed later. */
  async bump(client: string, table: string | null): Promise<boolean> {
    if (!this.up) {
      this.remember(client, table);
      return false;
    }
    try {
      await this.incrAndPublish(client, table);
      return true;
    } catch (e) {
      this.remember(client, table);
      this.markDown('invalidate', e);
      return false;
    }
  }

  private async incrAndPublish(client: string, table: string | null): Promise<void> {
    const res = await this.client
      .multi()
      .incr(this.genKey(client, table))
      .publish(this.channel, JSON.stringify({ o: this.instanceId, c: client, t: table }))
      .exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('transaction aborted');
  }

  private genKey(client: string, table: string | null): string {
    return table === null ? `${this.o.prefix}g:${client}` : `${this.o.prefix}g:${client}:${table}`;
  }

  private remember(client: string, table: string | null): void {
    const cur = this.pending.get(client);
    if (cur === 'all') return;
    if (table === null || (cur && cur.size >= MAX_PENDING_TABLES_PER_CLIENT)) {
      this.pending.set(client, 'all');
      return;
    }
    if (cur) cur.add(table);
    else this.pending.set(client, new Set([table]));
  }

  private onMessage(msg: string): void {
    let m: { o?: unknown; c?: unknown; t?: unknown };
    try {
      m = JSON.parse(msg) as typeof m;
    } catch {
      return;
    }
    if (m.o === this.instanceId || typeof m.c !== 'string') return;
    this.hooks.onRemoteInvalidation(m.c, typeof m.t === 'string' ? m.t : null);
  }

  private markDown(op: string, err: unknown): void {
    this.hooks.onError(op);
    this.cooldownUntil = Date.now() + this.o.cooldownMs;
    if (this.state === 'down' || this.state === 'closed') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.downSince = Date.now();
    this.hooks.warn(
      wasUp
        ? 'redis cache tier down; serving from the memory tier until it recovers'
        : 'redis cache tier unavailable at start; serving from the memory tier until it connects',
      {
        op,
        error: err instanceof Error ? err.message : String(err),
        cooldown_ms: this.o.cooldownMs,
      },
    );
    this.hooks.onState(false);
    this.schedule(this.o.cooldownMs);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.tryRecover();
      },
      Math.max(ms, 1),
    );
    this.timer.unref();
  }

  /** After the cooldown, with the connection ready: PING, then the tier is up again and pending bumps replay. */
  private async tryRecover(): Promise<void> {
    if (this.state === 'up' || this.state === 'closed') return;
    const wait = this.cooldownUntil - Date.now();
    if (wait > 0) return this.schedule(wait);
    if (this.client.status !== 'ready') return; // the 'ready' event calls back
    // Writes made while Redis was down bump their generations BEFORE the tier is used again, so no read
    // after recovery can reach an entry those writes made stale.
    let replayed = 0;
    try {
      await this.client.ping();
      // Loop: writes that arrive during the replay are remembered (the tier is not up yet) and replayed too;
      // the state flips to up synchronously once nothing is pending.
      while (this.pending.size > 0) {
        const batch = [...this.pending];
        this.pending.clear();
        try {
          for (const [client, tables] of batch) {
            if (tables === 'all') await this.incrAndPublish(client, null);
            else for (const t of tables) await this.incrAndPublish(client, t);
            replayed++;
          }
        } catch (e) {
          for (const [client, tables] of batch) {
            if (tables === 'all') this.remember(client, null);
            else for (const t of tables) this.remember(client, t);
          }
          throw e;
        }
      }
    } catch (e) {
      this.markDown('recover', e);
      return;
    }
    if ((this.state as State) === 'up' || (this.state as State) === 'closed') return;
    const wasDown = this.state === 'down';
    this.state = 'up';
    if (wasDown)
      this.hooks.info('redis cache tier recovered', {
        down_ms: Date.now() - this.downSince,
        replayed_clients: replayed,
      });
    this.hooks.onState(true);
  }

  async close(): Promise<void> {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.client.disconnect();
    this.sub.disconnect();
  }

  // --- Keyv store adapter ------------------------------------------------------------------------------------

  async get(key: string): Promise<string | undefined> {
    if (!this.up) return undefined;
    try {
      return (await this.client.get(`${this.o.prefix}v:${key}`)) ?? undefined;
    } catch (e) {
      this.markDown('get', e);
      return undefined;
    }
  }

  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    if (!this.up || !ttl || ttl <= 0) return false;
    try {
      await this.client.set(`${this.o.prefix}v:${key}`, value, 'PX', Math.ceil(ttl));
      return true;
    } catch (e) {
      this.markDown('set', e);
      return false;
    }
  }

  async delete(key: string): Promise<boolean> {
    if (!this.up) return false;
    try {
      return (await this.client.del(`${this.o.prefix}v:${key}`)) > 0;
    } catch (e) {
      this.markDown('delete', e);
      return false;
    }
  }

  /** Refused: clearing would mean FLUSHDB on a shared Redis. Invalidation works by generation instead. */
  async clear(): Promise<void> {
    throw new Error(
      'the Redis cache tier is never cleared (it would flush a shared database); invalidate by generation',
    );
  }

  on(): this {
    return this;
  }
}
