import type { CacheOutcome, CacheTier } from './cache-metrics';

/** Route groups of the cached read routes (metric label and `api.cache.ttl_seconds.<group>`). */
export type CacheRoute = 'gateway_fetch' | 'gateway_data' | 'data';

/** What the request allows, from `Cache-Control` (set by GatewayCacheInterceptor). */
export interface CacheDirective {
  route: CacheRoute;
  /** False for `no-cache` and `no-store`. */
  read: boolean;
  /** False for `no-store`. */
  write: boolean;
}

export interface CacheResult {
  key: string;
  outcome: CacheOutcome;
  tier: CacheTier;
}

const DIRECTIVE = Symbol.for('athena.cache.directive');
const RESULT = Symbol.for('athena.cache.result');

interface Carrier {
  [DIRECTIVE]?: CacheDirective;
  [RESULT]?: CacheResult;
}

export function setCacheDirective(req: object, d: CacheDirective): void {
  (req as Carrier)[DIRECTIVE] = d;
}

export function cacheDirective(req: object): CacheDirective | undefined {
  return (req as Carrier)[DIRECTIVE];
}

export function setCacheResult(req: object, r: CacheResult): void {
  (req as Carrier)[RESULT] = r;
}

/** The lookup's outcome for this request, when a cached route ran one. */
export function cacheResult(req: object): CacheResult | undefined {
  return (req as Carrier)[RESULT];
}

/**
 * `Cache-Control` → read/write permissions. Directives are matched as tokens of the comma-separated list
 * (case-insensitive): `no-store` bypasses both the read and the store; `no-cache` (or `max-age=0`) bypasses
 * the read and stores the fresh answer. Anything else: normal caching.
 */
export function parseCacheControl(header: string | string[] | undefined): { read: boolean; write: boolean } {
  if (header === undefined) return { read: true, write: true };
  const v = (Array.isArray(header) ? header.join(',') : header).toLowerCase();
  if (v === '') return { read: true, write: true };
  let read = true;
  let write = true;
  for (const raw of v.split(',')) {
    const t = raw.trim();
    if (t === 'no-store') {
      read = false;
      write = false;
    } else if (t === 'no-cache' || t === 'max-age=0') {
      read = false;
    }
  }
  return { read, write };
}
