import { CACHE_ALL, CacheDirective } from '@athena/common';
import type { CacheOutcome, CacheTier } from './cache-metrics';

/** Route groups of the cached read routes (metric label and `api.cache.ttl_seconds.<group>`). */
export type CacheRoute = 'gateway_fetch' | 'gateway_data' | 'data';

export type { CacheDirective } from '@athena/common';

/** The part of a Fastify reply the cache touches (response headers). */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

const ALL = CACHE_ALL;

/**
 * `Cache-Control` → read/write permissions. Directives are matched as tokens of the comma-separated list
 * (case-insensitive): `no-store` bypasses both the read and the store; `no-cache` (or `max-age=0`) bypasses
 * the read and stores the fresh answer. Anything else: normal caching.
 */
export function parseCacheControl(header: string | string[] | undefined): CacheDirective {
  if (header === undefined || header === '') return ALL;
  const v = (Array.isArray(header) ? header.join(',') : header).toLowerCase();
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
  return read && write ? ALL : { read, write };
}

/** `X-Athena-Cache: hit|miss|bypass`, and `X-Athena-Cache-Tier: memory|redis` on a hit. */
export function setCacheHeaders(reply: HeaderSink | undefined, outcome: CacheOutcome, tier: CacheTier): void {
  if (!reply) return;
  reply.header('X-Athena-Cache', outcome);
  if (tier !== 'none') reply.header('X-Athena-Cache-Tier', tier);
}
