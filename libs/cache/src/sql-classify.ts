/**
 * Whether a raw `/gateway/query` statement is a plain read that cannot have changed data (so it need not
 * invalidate the cache). Conservative: the statement's command tag must be SELECT/SHOW and the text must not
 * contain a data-changing or locking keyword anywhere (data-modifying CTEs, SELECT … INTO, FOR UPDATE,
 * nextval/setval). Anything else counts as a write and invalidates every cached entry of the client.
 * A SELECT calling a user function that writes is not detected (its tables' entries live out their TTL).
 */
const WRITE_WORDS =
  /\b(insert|update|delete|merge|truncate|into|copy|call|do|alter|create|drop|grant|revoke|lock|refresh|vacuum|cluster|reindex|comment|nextval|setval|notify|listen|reset|set|for\s+(no\s+key\s+)?(update|share)|for\s+key\s+share)\b/i;

/** The statement's first keyword (`SELECT`, `WITH`, …): classifies a statement that failed before reporting its command. */
export function leadingKeyword(sql: string): string {
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
}

export function isPlainRead(sql: string, command: string | null | undefined): boolean {
  const c = (command ?? '').toUpperCase();
  if (c !== 'SELECT' && c !== 'SHOW') return false;
  return !WRITE_WORDS.test(stripLiterals(sql));
}

/**
 * The statement's code with string literals, quoted identifiers and comments blanked out, so their contents
 * cannot look like keywords — and cannot hide code either. One left-to-right pass, as PostgreSQL's lexer reads
 * it: `'…'` with `''` escapes, `E'…'` with backslash escapes, `"…"` identifiers, `$tag$…$tag$` bodies,
 * `-- …` line comments and nested `/* … *\/` comments. An unterminated literal or comment ends the text.
 */
export function stripLiterals(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i + 2);
      i = end === -1 ? n : end;
      out += ' ';
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      out += ' ';
    } else if (ch === "'" || ((ch === 'E' || ch === 'e') && next === "'" && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? ''))) {
      const backslashes = ch !== "'";
      i += backslashes ? 2 : 1;
      while (i < n) {
        if (backslashes && sql[i] === '\\') {
          i += 2;
          continue;
        }
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      out += "''";
    } else if (ch === '"') {
      i++;
      while (i < n) {
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      out += '""';
    } else if (ch === '$' && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (!m) {
        out += ch;
        i++;
        continue;
      }
      const end = sql.indexOf(m[0], i + m[0].length);
      i = end === -1 ? n : end + m[0].length;
      out += "''";
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
