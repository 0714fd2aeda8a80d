/**
 * The PostgREST-style filter strings the public SDK sends for `not()` and `or()`:
 *   {"operator":"not","value":"qty.eq.2"}            → NOT (qty = '2')
 *   {"operator":"not","value":"qty.in.1,2"}          → NOT (qty = ANY('{1,2}'))
 *   {"operator":"or","value":"qty.eq.1,name.is.null"} → (qty = '1' OR name IS NULL)
 * Items are `column.op.value` or `column.not.op.value`; `in` lists may be bare (`1,2`) or parenthesised
 * (`(1,2)`); `like`/`ilike` accept `*` as the wildcard. Values stay strings: the database casts a bound text
 * parameter to the column's type, exactly as for any other filter. Nested `and(...)`/`or(...)` groups are
 * refused with a clear 400 rather than half-understood.
 */
import { AthenaError } from '@athena/common';
import type { AnyOf, Condition, JsonValue, Operator } from './ast';
import { normalizeColumn } from './case';
import { assertIdentifier, describeValue } from './identifiers';
import { QueryErrors } from './errors';

const ITEM_OPS: ReadonlySet<string> = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'is', 'in']);
const ITEM_START = /^[A-Za-z_][A-Za-z0-9_]*\.(?:not\.)?[a-z]+\./;
const MAX_ITEMS = 100;

function bad(detail: string): AthenaError {
  return QueryErrors.invalidFetchCondition('Invalid filter expression', detail);
}

/** Splits on commas outside parentheses and double quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === ',') {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** One `column.[not.]op.value` item → a Condition. */
export function parsePostgrestItem(item: string, camelToSnake: boolean): Condition {
  const text = item.trim();
  const m = /^([^.]+)\.(not\.)?([a-z]+)\.([\s\S]*)$/.exec(text);
  if (!m) {
    throw bad(
      `Filter ${describeValue(text)} is not of the form column.operator.value (e.g. "qty.eq.2" or "name.not.is.null")`,
    );
  }
  const column = normalizeColumn(m[1], camelToSnake);
  assertIdentifier(column, 'filter column');
  const op = m[3];
  if (!ITEM_OPS.has(op)) {
    throw bad(`Unsupported operator "${op}" in filter ${describeValue(text)}; supported: ${[...ITEM_OPS].join(', ')}`);
  }
  const raw = m[4];
  let value: JsonValue;
  if (op === 'is') {
    const l = raw.toLowerCase();
    if (l === 'null') value = null;
    else if (l === 'true') value = true;
    else if (l === 'false') value = false;
    else
      throw QueryErrors.invalidConditionValue(
        `Invalid value for "is" on "${column}"`,
        `"is" takes null, true or false, got ${describeValue(raw)}`,
      );
  } else if (op === 'in') {
    const inner = raw.startsWith('(') && raw.endsWith(')') ? raw.slice(1, -1) : raw;
    value = inner === '' ? [] : splitTopLevel(inner).map((v) => unquote(v.trim()));
  } else if (op === 'like' || op === 'ilike') {
    value = unquote(raw).replace(/\*/g, '%');
  } else {
    value = unquote(raw);
  }
  const cond: Condition = { column, op: op as Operator, value };
  if (m[2]) cond.negate = true;
  return cond;
}

/** `not` condition: its value is one item expression. */
export function parseNotFilter(value: unknown, camelToSnake: boolean): Condition {
  if (typeof value !== 'string' || value.trim() === '') {
    throw bad('A "not" condition needs a string value like "qty.eq.2" or "name.is.null"');
  }
  const c = parsePostgrestItem(value, camelToSnake);
  c.negate = !c.negate;
  return c;
}

/** `or` condition: comma-separated items; a bare `in` list's commas stay with their item. */
export function parseOrFilter(value: unknown, camelToSnake: boolean): AnyOf {
  if (typeof value !== 'string' || value.trim() === '') {
    throw bad('An "or" condition needs a string value like "qty.eq.1,qty.eq.4"');
  }
  let text = value.trim();
  if (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1);
  const items: string[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (/^(and|or|not\.and|not\.or)\(/.test(p))
      throw bad(
        `Nested groups (${describeValue(p)}) are not supported in "or"; use a flat list of column.operator.value items`,
      );
    if (items.length > 0 && !ITEM_START.test(p))
      items[items.length - 1] += `,${p}`; // continuation of a bare `in` list
    else items.push(p);
  }
  if (items.length > MAX_ITEMS) throw bad(`An "or" condition may hold at most ${MAX_ITEMS} items, got ${items.length}`);
  return { op: 'or', any: items.map((i) => parsePostgrestItem(i, camelToSnake)) };
}
