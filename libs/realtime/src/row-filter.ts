import { Condition, Filter, isAnyOf, Row } from '@athena/query';

/**
 * Evaluates parsed `conditions` (the same AST the fetch path compiles to SQL) against one row in memory, for
 * subscription events. Comparison follows the JSON form of the row: numbers compare numerically (numeric
 * strings too, as PostgreSQL `numeric` arrives as text), everything else as text.
 */
export function rowMatches(row: Row, filters: readonly Filter[]): boolean {
  for (const f of filters) {
    if (isAnyOf(f)) {
      if (!f.any.some((c) => conditionHolds(row, c))) return false;
    } else if (!conditionHolds(row, f)) return false;
  }
  return true;
}

function conditionHolds(row: Row, c: Condition): boolean {
  const r = evaluate(row[c.column], c);
  return c.negate ? !r : r;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
  return null;
}

function text(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function compare(a: unknown, b: unknown): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  const x = num(a);
  const y = num(b);
  if (x !== null && y !== null) return x === y ? 0 : x < y ? -1 : 1;
  const s = text(a);
  const t = text(b);
  return s === t ? 0 : s < t ? -1 : 1;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b || text(a) === text(b);
  return compare(a, b) === 0;
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) src += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, flags);
}

function evaluate(v: unknown, c: Condition): boolean {
  const want = c.value;
  switch (c.op) {
    case 'eq':
      return v !== null && v !== undefined && equal(v, want);
    case 'neq':
      return v !== null && v !== undefined && !equal(v, want);
    case 'gt': {
      const r = compare(v, want);
      return r !== null && r > 0;
    }
    case 'gte': {
      const r = compare(v, want);
      return r !== null && r >= 0;
    }
    case 'lt': {
      const r = compare(v, want);
      return r !== null && r < 0;
    }
    case 'lte': {
      const r = compare(v, want);
      return r !== null && r <= 0;
    }
    case 'like':
      return v !== null && v !== undefined && likeToRegExp(String(want), 's').test(text(v));
    case 'ilike':
      return v !== null && v !== undefined && likeToRegExp(String(want), 'is').test(text(v));
    case 'is':
      if (want === null || want === 'null') return v === null || v === undefined;
      if (want === true || want === 'true') return v === true;
      if (want === false || want === 'false') return v === false;
      return false;
    case 'in':
      return Array.isArray(want) && v !== null && v !== undefined && want.some((w) => equal(v, w));
    case 'contains':
      return containsAll(v, want);
    case 'containedBy':
      return containsAll(want, v);
    default:
      return false;
  }
}

function containsAll(outer: unknown, inner: unknown): boolean {
  if (Array.isArray(outer)) {
    const items = Array.isArray(inner) ? inner : [inner];
    return items.every((i) => outer.some((o) => equal(o, i) || text(o) === text(i)));
  }
  if (outer && typeof outer === 'object' && inner && typeof inner === 'object' && !Array.isArray(inner)) {
    return Object.entries(inner as Record<string, unknown>).every(
      ([k, val]) => text((outer as Record<string, unknown>)[k]) === text(val),
    );
  }
  return false;
}
