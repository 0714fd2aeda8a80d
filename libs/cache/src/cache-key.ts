/**
 * Cache keys of gateway reads (pure; no I/O). Layout, after the reference (§5.2):
 *
 *   <table>:<first eq column>:<first eq value>:<16 hex digits>
 *
 * The readable head is for operators (logs, `cache_key` in the response); the hash covers everything that
 * changes the answer: the client, the caller's rights scope, the invalidation generation, the parsed request
 * (the FetchQuery AST is the normal form: columns, conditions, sort, limit/offset, truncation probe,
 * strip-nulls, post-processing) and the camel→snake toggle. Two requests share an entry only when all of these
 * are equal.
 */
import * as crypto from 'node:crypto';
import type { FetchQuery } from '@athena/query';

/** Bump when the cached value's shape or the hash inputs change (old entries then become unreachable). */
export const CACHE_KEY_VERSION = 2; // 2: the value is { rows, json } (the serialized envelope), not the envelope
const MAX_READABLE = 48;
// eslint-disable-next-line no-control-regex
const UNREADABLE = /[\s:\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const UNREADABLE_ALL = /[\s:\u0000-\u001f\u007f]+/g;

export interface CacheKeyInput {
  client: string;
  /** `authContext(req).scope`: callers with different scopes never share an entry. */
  scope: string;
  /** Invalidation generation of (client, table), e.g. `r3.7` (Redis) or `l2.0` (local only). */
  generation: string;
  query: FetchQuery;
  camelToSnake: boolean;
  /** Where the backend resolves an unqualified table (`BackendDriver.defaultNamespace()`); default `public`. */
  namespace?: string;
}

/**
 * `<namespace>.items` for both `items` and `<namespace>.items`: an unqualified name is resolved where the backend
 * resolves it (PostgreSQL `public`, a ScyllaDB client's keyspace, a Supabase client's schema), so reads and writes
 * that spell the same table differently share one invalidation generation.
 */
export function tableId(t: { schema: string | null; name: string }, namespace = 'public'): string {
  return `${t.schema ?? namespace}.${t.name}`;
}

export function buildCacheKey(i: CacheKeyInput): string {
  const q = i.query;
  const hash = sha256Hex(
    JSON.stringify([
      CACHE_KEY_VERSION,
      i.client,
      i.scope,
      i.generation,
      i.camelToSnake,
      tableId(q.table, i.namespace),
      q.columns,
      q.conditions,
      q.sort,
      q.limit,
      q.offset,
      q.probeTruncation,
      q.stripNulls,
      q.postProcessing,
      q.pageState ?? null,
    ]),
  ).slice(0, 16);
  let column = '';
  let value = '';
  for (const f of q.conditions) {
    if (f.op === 'eq' && !f.negate) {
      column = f.column;
      value = readable(f.value);
      break;
    }
  }
  const name = q.table.schema ? `${q.table.schema}.${q.table.name}` : q.table.name;
  return `${name}:${column}:${value}:${hash}`;
}

/** One-shot `crypto.hash` (Node ≥ 20.12) is cheaper than createHash().update().digest() on the hot path. */
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
function sha256Hex(s: string): string {
  return oneShot ? oneShot('sha256', s, 'hex') : crypto.createHash('sha256').update(s).digest('hex');
}

/** A short, single-line rendering of a condition value for the readable head (the hash holds the real value). */
function readable(v: unknown): string {
  // A finite number renders as JSON does, with nothing to clean (the common case: a primary key).
  if (typeof v === 'number' && Number.isFinite(v)) {
    const n = String(v);
    return n.length > MAX_READABLE ? n.slice(0, MAX_READABLE) : n;
  }
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  const clean = UNREADABLE.test(s) ? s.replace(UNREADABLE_ALL, '_') : s;
  return clean.length > MAX_READABLE ? clean.slice(0, MAX_READABLE) : clean;
}
