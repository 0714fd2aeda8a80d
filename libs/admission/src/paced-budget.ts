import type Redis from 'ioredis';

/**
 * A request budget of `limit` calls per `windowMs`, paced (the generic cell rate algorithm, GCRA — a token bucket
 * of `limit` tokens refilled continuously at limit/window):
 * - an idle key admits a burst of up to `limit` calls at once, like a fresh fixed window;
 * - under sustained overload the admitted calls are spread evenly, one every window/limit, instead of all
 *   arriving in the first moments of each window (a fixed window admits its whole budget in a burst at the start
 *   of every window when offered 10× the budget, which queues them behind each other);
 * - over any span of T ms at most limit × (T / window + 1) calls are admitted — the same bound as fixed windows.
 *
 * State per key is one number, the theoretical arrival time (TAT, µs: a budget may admit more than one call per ms). Shared through Redis by one atomic script
 * on the server's clock (so instances with skewed clocks agree), or kept in memory (the per-instance fallback).
 * Written for this gateway: rate-limiter-flexible (used before) only has fixed windows, and its `execEvenly`
 * delays calls instead of shedding them.
 */
export interface PacedBudgetResult {
  admitted: boolean;
  /** ms until the next call would be admitted (0 when admitted). */
  retryMs: number;
}

const ADMITTED: PacedBudgetResult = Object.freeze({ admitted: true, retryMs: 0 });

export class PacedBudget {
  /** µs between two admissions at the sustained rate (integer, ≥ 1: at most 1,000,000 calls/s per budget). */
  readonly intervalUs: number;
  /** How far the TAT may run ahead of now: the burst a fresh key admits (burst × interval), µs. */
  readonly burstUs: number;

  /** `burst`: most calls admitted at once (default and 0: `limit`, a whole window); capped at `limit`. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    burst = 0,
  ) {
    this.intervalUs = Math.max(1, Math.floor((windowMs * 1000) / limit));
    this.burstUs = this.intervalUs * (burst > 0 ? Math.min(burst, limit) : limit);
  }

  /** One step of GCRA on `tat` (µs; undefined = idle key) at `nowUs`: the decision and the TAT to store. */
  step(tat: number | undefined, nowUs: number): { result: PacedBudgetResult; tat: number | undefined } {
    const next = Math.max(tat ?? nowUs, nowUs) + this.intervalUs;
    const allowAt = next - this.burstUs;
    if (nowUs < allowAt) return { result: { admitted: false, retryMs: Math.ceil((allowAt - nowUs) / 1000) }, tat };
    return { result: ADMITTED, tat: next };
  }
}

/** In-process budgets (one TAT per key), for one instance: used without Redis and while Redis is down. */
export class MemoryPacedBudget {
  private readonly tats = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly budget: PacedBudget,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): PacedBudgetResult {
    const now = this.now();
    const nowUs = now * 1000;
    const { result, tat } = this.budget.step(this.tats.get(key), nowUs);
    if (result.admitted) this.tats.set(key, tat as number);
    if (now - this.lastPrune > this.budget.windowMs) this.prune(now, nowUs);
    return result;
  }

  /** Keys whose TAT has passed are idle: forgetting them changes nothing. Bounds the map by the active keys. */
  private prune(now: number, nowUs: number): void {
    this.lastPrune = now;
    for (const [k, t] of this.tats) if (t <= nowUs) this.tats.delete(k);
  }
}

/**
 * GCRA in Redis, atomically: KEYS[1] the TAT key; ARGV interval and burst (µs). Returns {1, 0} admitted or
 * {0, ms until the next admission}. Uses the server's clock (TIME, µs) so every instance sees one timeline; the
 * TAT is stored as an exact integer string (µs since the epoch < 2^53); the key expires when the budget is full
 * again. A value it cannot read (e.g. an old fixed-window counter under the same name) counts as an idle key.
 */
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local nexttat = tat + interval
local allowat = nexttat - burst
if now < allowat then return {0, math.ceil((allowat - now) / 1000)} end
redis.call('SET', KEYS[1], string.format('%.0f', nexttat), 'PX', math.ceil((nexttat - now) / 1000))
return {1, 0}
`;

interface GcraRedis {
  athenaGcra(key: string, interval: number, burst: number): Promise<[number, number]>;
}

/**
 * Budgets shared by every instance on one Redis. After a refusal the key is refused from memory until its next
 * admission time (no Redis round trip per rejected call while overloaded).
 */
export class RedisPacedBudget {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly budget: PacedBudget,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    if (typeof (redis as unknown as { athenaGcra?: unknown }).athenaGcra !== 'function')
      redis.defineCommand('athenaGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  }

  /** Rejects (a Redis error) when the store cannot answer; the caller falls back to memory. */
  take(key: string): PacedBudgetResult | Promise<PacedBudgetResult> {
    const blocked = this.blockedUntil.get(key);
    if (blocked !== undefined) {
      const left = blocked - this.now();
      if (left > 0) return { admitted: false, retryMs: left };
      this.blockedUntil.delete(key);
    }
    return (this.redis as unknown as GcraRedis)
      .athenaGcra(this.prefix + key, this.budget.intervalUs, this.budget.burstUs)
      .then(([ok, ms]) => {
        if (ok === 1) return ADMITTED;
        if (this.blockedUntil.size > 10_000) this.blockedUntil.clear(); // bounded: keys are clients + 'all'
        this.blockedUntil.set(key, this.now() + ms);
        return { admitted: false, retryMs: ms };
      });
  }
}
