/**
 * Whether a raw `/gateway/query` statement is a plain read that cannot have changed data (so it need not
 * invalidate the cache). Conservative: the statement's command tag must be SELECT/SHOW and the text must not
 * contain a data-changing or locking keyword anywhere (data-modifying CTEs, SELECT … INTO, FOR UPDATE,
 * nextval/setval). Anything else counts as a write and invalidates every cached entry of the client.
 * A SELECT calling a user function that writes is not detected (its tables' entries live out their TTL).
 */
const WRITE_WORDS = /\b(insert|update|delete|merge|truncate|into|copy|call|do|alter|create|drop|grant|revoke|lock|refresh|vacuum|cluster|reindex|comment|nextval|setval|notify|listen|reset|set|for\s+(no\s+key\s+)?(update|share)|for\s+key\s+share)\b/i;

/** The statement's first keyword (`SELECT`, `WITH`, …): classifies a statement that failed before reporting its command. */
export function leadingKeyword(sql: string): string {
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
}

export function isPlainRead(sql: string, command: string | null | undefined): boolean {
  const c = (command ?? '').toUpperCase();
  if (c !== 'SELECT' && c !== 'SHOW') return false;
  return !WRITE_WORDS.test(stripLiterals(sql));
}

/** Removes string literals, quoted identifiers and comments so their contents cannot look like keywords. */
function stripLiterals(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''");
}
