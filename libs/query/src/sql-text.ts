import { QueryErrors } from './errors';

/** Longest statement text accepted by the raw SQL/CQL routes (characters, after trimming). */
export const MAX_SQL_LENGTH = 100_000;

/**
 * Normalizes the text of one raw statement (`/gateway/query`, `/query/sql`): trims it and drops one trailing
 * semicolon. Empty → 400 `empty_query`; longer than MAX_SQL_LENGTH → 400 `invalid_query_payload`.
 * `kind` words the empty-query hint ("send one <kind>").
 */
export function normalizeSqlText(raw: string, kind = 'statement'): string {
  const sql = raw.trim().replace(/;\s*$/, '').trim();
  if (sql === '') throw QueryErrors.emptyQuery('Empty query', `"query" is empty; send one ${kind}`);
  if (sql.length > MAX_SQL_LENGTH) {
    throw QueryErrors.invalidQueryPayload('Query too long', `"query" is longer than ${MAX_SQL_LENGTH} characters`);
  }
  return sql;
}
