import type { TableRef } from './ast';
import { QueryErrors } from './errors';

/** The only identifier grammar the gateway accepts: a PostgreSQL-safe unquoted name of at most 63 bytes. */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const GRAMMAR =
  'identifiers must match [A-Za-z_][A-Za-z0-9_]{0,62} (ASCII letters, digits and underscores, not starting with a digit, at most 63 characters)';

/** Renders untrusted input for an error message: JSON-quoted and bounded in length. */
export function describeValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Throws 400 `invalid_identifier` unless `name` is a string matching {@link IDENT_RE}. */
export function assertIdentifier(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || !IDENT_RE.test(name)) {
    throw QueryErrors.invalidIdentifier(
      `Invalid ${what} ${describeValue(name)}`,
      `Invalid ${what} ${describeValue(name)}: ${GRAMMAR}`,
    );
  }
}

/** `table` or `schema.table` → TableRef. Anything else (more dots, quotes, spaces, ...) → 400 `invalid_identifier`. */
export function parseTableName(s: string): TableRef {
  const dot = s.indexOf('.');
  if (dot < 0) {
    assertIdentifier(s, 'table name');
    return { schema: null, name: s };
  }
  const schema = s.slice(0, dot);
  const name = s.slice(dot + 1);
  if (name.indexOf('.') >= 0) {
    throw QueryErrors.invalidIdentifier(
      `Invalid table name ${describeValue(s)}`,
      `Invalid table name ${describeValue(s)}: expected "table" or "schema.table"; ${GRAMMAR}`,
    );
  }
  assertIdentifier(schema, 'schema name');
  assertIdentifier(name, 'table name');
  return { schema, name };
}

/** Double-quotes an identifier. Callers validate first; embedded quotes are still doubled defensively. */
export function quoteIdent(name: string): string {
  return name.indexOf('"') >= 0 ? `"${name.replaceAll('"', '""')}"` : `"${name}"`;
}

/** `"schema"."table"`, with `defaultSchema` when the ref carries none. */
export function qualifiedTable(ref: TableRef, defaultSchema = 'public'): string {
  return `${quoteIdent(ref.schema ?? defaultSchema)}.${quoteIdent(ref.name)}`;
}
