import type { Condition, Filter, JsonValue, Operator } from '@athena/query';
import { isAnyOf } from '@athena/query';

/** The part of postgrest-js's filter builder the adapter uses (kept structural so both builders fit). */
export interface FilterTarget<T> {
  eq(column: string, value: unknown): T;
  neq(column: string, value: unknown): T;
  gt(column: string, value: unknown): T;
  gte(column: string, value: unknown): T;
  lt(column: string, value: unknown): T;
  lte(column: string, value: unknown): T;
  like(column: string, pattern: string): T;
  ilike(column: string, pattern: string): T;
  is(column: string, value: boolean | null): T;
  in(column: string, values: readonly unknown[]): T;
  contains(column: string, value: unknown): T;
  containedBy(column: string, value: unknown): T;
  not(column: string, operator: string, value: unknown): T;
  or(filters: string): T;
}

/** AST operator → PostgREST operator keyword. */
const PGRST_OP: Record<Operator, string> = {
  eq: 'eq',
  neq: 'neq',
  gt: 'gt',
  gte: 'gte',
  lt: 'lt',
  lte: 'lte',
  like: 'like',
  ilike: 'ilike',
  is: 'is',
  in: 'in',
  contains: 'cs',
  containedBy: 'cd',
};

/** Applies AST filters (ANDed) to a postgrest-js builder. Plain conditions use the builder's own methods. */
export function applyFilters<T extends FilterTarget<T>>(b: T, filters: readonly Filter[]): T {
  let out = b;
  for (const f of filters) {
    if (isAnyOf(f)) out = out.or(f.any.map(orTerm).join(','));
    else if (f.negate) {
      const [op, value] = opAndValue(f);
      out = out.not(f.column, op, value);
    } else out = applyOne(out, f);
  }
  return out;
}

function applyOne<T extends FilterTarget<T>>(b: T, c: Condition): T {
  const v = c.value;
  switch (c.op) {
    case 'eq':
      return v === null ? b.is(c.column, null) : b.eq(c.column, scalar(v));
    case 'neq':
      return v === null ? b.not(c.column, 'is', null) : b.neq(c.column, scalar(v));
    case 'gt':
      return b.gt(c.column, scalar(v));
    case 'gte':
      return b.gte(c.column, scalar(v));
    case 'lt':
      return b.lt(c.column, scalar(v));
    case 'lte':
      return b.lte(c.column, scalar(v));
    case 'like':
      return b.like(c.column, String(scalar(v)));
    case 'ilike':
      return b.ilike(c.column, String(scalar(v)));
    case 'is':
      return b.is(c.column, v as boolean | null);
    case 'in':
      return b.in(c.column, v as JsonValue[]);
    case 'contains':
      return b.contains(c.column, v);
    case 'containedBy':
      return b.containedBy(c.column, v);
  }
}

/** Objects and arrays compared with eq/gt/… are JSON (json/jsonb columns); scalars pass through. */
function scalar(v: JsonValue): unknown {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
}

/** Operator keyword and the raw PostgREST value text, for `not.` filters and `or=(…)` terms. */
function opAndValue(c: Condition): [string, string] {
  const v = c.value;
  if ((c.op === 'eq' || c.op === 'is') && v === null) return ['is', 'null'];
  if (c.op === 'neq' && v === null) return ['not.is', 'null'];
  if (c.op === 'is') return ['is', String(v)];
  if (c.op === 'in')
    return ['in', `(${(v as JsonValue[]).map((x) => quote(x === null ? 'null' : String(scalar(x)))).join(',')})`];
  if (c.op === 'contains' || c.op === 'containedBy') {
    const text = Array.isArray(v)
      ? `{${v.map((x) => quote(String(x))).join(',')}}`
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
    return [PGRST_OP[c.op], text];
  }
  return [PGRST_OP[c.op], String(scalar(v))];
}

/** One `or=(…)` term: `column.[not.]op.value`, values with reserved characters double-quoted. */
function orTerm(c: Condition): string {
  const [op, value] = opAndValue(c);
  const needsQuote =
    c.op !== 'in' && c.op !== 'contains' && c.op !== 'containedBy' && !(value === 'null' && op.endsWith('is'));
  return `${c.column}.${c.negate ? 'not.' : ''}${op}.${needsQuote ? quote(value) : value}`;
}

/** PostgREST reserved characters in values: `,` `.` `:` `(` `)` `"` `\` and surrounding spaces → "double-quoted". */
function quote(s: string): string {
  return /[,.:()"\\]|^\s|\s$/.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s;
}
