/**
 * The gateway logs and the API-key auth log as PostgreSQL `COPY … FROM STDIN` text (pure; no I/O), and the
 * per-batch statistics the gateway-log writes add to `client_statistics` / `client_table_statistics`.
 *
 * Text format: one line per row, fields separated by a tab, `\N` for NULL; a backslash, tab, newline or carriage
 * return inside a value is written as its backslash escape. A NUL cannot be stored in a PostgreSQL text value at
 * all, so it becomes U+FFFD (the edge already refuses NUL in payloads, paths and parameters: this only keeps one
 * odd value from failing a whole batch).
 */
import type { AuthLogRow, OperationLogRow, RequestLogRow } from './log-rows';

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIAL_ALL = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\uFFFD' };
const escapeChar = (c: string): string => ESCAPES[c];

/** A text value as a COPY field. */
export function copyText(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, escapeChar) : v;
}

/** A number as a COPY field (`\N` when absent or not finite: the columns are integer/numeric). */
export function copyNumber(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '\\N' : String(v);
}

const copyBool = (v: boolean): string => (v ? 't' : 'f');

/** A jsonb value as a COPY field (NUL in a string, which jsonb refuses even escaped, becomes U+FFFD). */
export function copyJson(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const json = JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'string' && x.includes('\0') ? x.replaceAll('\0', '\uFFFD') : x,
  );
  return copyText(json);
}

const ARRAY_ELEMENT_SPECIAL = /[\\"]/g;

/**
 * A text[] value as a COPY field: the array literal `{"a","b"}` (every element quoted, `\` and `"` escaped inside
 * the quotes), then escaped as COPY text like any other value.
 */
export function copyTextArray(v: readonly string[] | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  let lit = '{';
  for (let i = 0; i < v.length; i++) {
    if (i > 0) lit += ',';
    lit += `"${v[i].replace(ARRAY_ELEMENT_SPECIAL, '\\$&')}"`;
  }
  return copyText(`${lit}}`);
}

export const REQUEST_LOG_COLUMNS = [
  'created_at',
  'request_id',
  'client',
  'method',
  'path',
  'query_string',
  'status_code',
  'ipv4',
  'user_agent',
  'user_id',
  'company_id',
  'organization_id',
  'host',
  'cached',
  'time',
] as const;

export const OPERATION_LOG_COLUMNS = [
  'created_at',
  'request_id',
  'operation',
  'table_name',
  'client_name',
  'method',
  'path',
  'status_code',
  'duration_ms',
  'row_count',
  'cached',
  'error',
  'message',
  'cache_key',
  'user_id',
  'company_id',
  'organization_id',
  'details',
] as const;

export const AUTH_LOG_COLUMNS = [
  'created_at',
  'request_id',
  'api_key_id',
  'presented_public_id',
  'presented_hash_prefix',
  'key_source',
  'credential',
  'client_name',
  'method',
  'path',
  'ipv4',
  'user_agent',
  'enforced',
  'authenticated',
  'authorized',
  'required_rights',
  'granted_rights',
  'outcome',
  'reason',
] as const;

/** One `api_key_auth_log` row as a COPY text line (newline included), columns in AUTH_LOG_COLUMNS order. */
export function authLogLine(r: AuthLogRow): string {
  return (
    `${new Date(r.created_at).toISOString()}\t${copyText(r.request_id)}\t${copyText(r.api_key_id)}\t` +
    `${copyText(r.presented_public_id)}\t${copyText(r.presented_hash_prefix)}\t${copyText(r.key_source)}\t` +
    `${copyText(r.credential)}\t${copyText(r.client_name)}\t${copyText(r.method)}\t${copyText(r.path)}\t` +
    `${copyText(r.ipv4)}\t${copyText(r.user_agent)}\t${copyBool(r.enforced)}\t${copyBool(r.authenticated)}\t` +
    `${copyBool(r.authorized)}\t${copyTextArray(r.required_rights)}\t${copyTextArray(r.granted_rights)}\t` +
    `${copyText(r.outcome)}\t${copyText(r.reason)}\n`
  );
}

/** One `gateway_request_log` row as a COPY text line (newline included), columns in REQUEST_LOG_COLUMNS order. */
export function requestLogLine(r: RequestLogRow): string {
  return (
    `${copyText(r.created_at)}\t${copyText(r.request_id)}\t${copyText(r.client)}\t${copyText(r.method)}\t` +
    `${copyText(r.path)}\t${copyText(r.query_string)}\t${copyNumber(r.status_code)}\t${copyText(r.ipv4)}\t` +
    `${copyText(r.user_agent)}\t${copyText(r.user_id)}\t${copyText(r.company_id)}\t` +
    `${copyText(r.organization_id)}\t${copyText(r.host)}\t${copyBool(r.cached)}\t${copyNumber(r.time)}\n`
  );
}

/** One `gateway_operation_log` row as a COPY text line (newline included), columns in OPERATION_LOG_COLUMNS order. */
export function operationLogLine(r: OperationLogRow): string {
  return (
    `${copyText(r.created_at)}\t${copyText(r.request_id)}\t${copyText(r.operation)}\t${copyText(r.table_name)}\t` +
    `${copyText(r.client_name)}\t${copyText(r.method)}\t${copyText(r.path)}\t${copyNumber(r.status_code)}\t` +
    `${copyNumber(r.duration_ms)}\t${copyNumber(r.row_count)}\t${copyBool(r.cached)}\t${copyBool(r.error)}\t` +
    `${copyText(r.message)}\t${copyText(r.cache_key)}\t${copyText(r.user_id)}\t${copyText(r.company_id)}\t` +
    `${copyText(r.organization_id)}\t${copyJson(r.details)}\n`
  );
}

/** The later of two ISO-8601 UTC timestamps as `toISOString` writes them (fixed width: text order is time order). */
const later = (a: string, b: string): string => (b > a ? b : a);

/** Per-client request counts of one batch, as parallel arrays (sorted by client: a fixed lock order). */
export interface RequestStats {
  client: string[];
  total: number[];
  ok: number[];
  failed: number[];
  cached: number[];
  last: string[];
}

/** Per-client request counts, added row by row (see RequestStats). */
export class RequestStatsAccumulator {
  private readonly by = new Map<string, { total: number; ok: number; failed: number; cached: number; last: string }>();

  add(r: RequestLogRow): void {
    if (r.client === null) return;
    let s = this.by.get(r.client);
    if (!s) this.by.set(r.client, (s = { total: 0, ok: 0, failed: 0, cached: 0, last: r.created_at }));
    s.total++;
    if (r.status_code < 400) s.ok++;
    else s.failed++;
    if (r.cached) s.cached++;
    s.last = later(s.last, r.created_at);
  }

  result(): RequestStats {
    const out: RequestStats = { client: [], total: [], ok: [], failed: [], cached: [], last: [] };
    for (const c of [...this.by.keys()].sort()) {
      const s = this.by.get(c)!;
      out.client.push(c);
      out.total.push(s.total);
      out.ok.push(s.ok);
      out.failed.push(s.failed);
      out.cached.push(s.cached);
      out.last.push(s.last);
    }
    return out;
  }
}

/** Per-client and per-(client, table, operation) operation counts of one batch, sorted (fixed lock order). */
export interface OperationStats {
  clients: { client: string[]; total: number[]; last: string[] };
  tables: { client: string[]; table: string[]; operation: string[]; total: number[]; errors: number[]; last: string[] };
}

/** An error operation: `error` or an HTTP status ≥ 400 (the drill-down's `errors` filter counts the same rows). */
const isError = (r: OperationLogRow): boolean => r.error || r.status_code >= 400;

/** Per-client and per-(client, table, operation) operation counts, added row by row (see OperationStats). */
export class OperationStatsAccumulator {
  private readonly clients = new Map<string, { total: number; last: string }>();
  private readonly tables = new Map<
    string,
    { c: string; t: string; o: string; total: number; errors: number; last: string }
  >();

  add(r: OperationLogRow): void {
    if (r.client_name === null) return;
    let c = this.clients.get(r.client_name);
    if (!c) this.clients.set(r.client_name, (c = { total: 0, last: r.created_at }));
    c.total++;
    c.last = later(c.last, r.created_at);
    if (r.table_name === null) return;
    const k = `${r.client_name}\u0000${r.table_name}\u0000${r.operation}`;
    let t = this.tables.get(k);
    if (!t)
      this.tables.set(
        k,
        (t = { c: r.client_name, t: r.table_name, o: r.operation, total: 0, errors: 0, last: r.created_at }),
      );
    t.total++;
    if (isError(r)) t.errors++;
    t.last = later(t.last, r.created_at);
  }

  result(): OperationStats {
    const out: OperationStats = {
      clients: { client: [], total: [], last: [] },
      tables: { client: [], table: [], operation: [], total: [], errors: [], last: [] },
    };
    for (const name of [...this.clients.keys()].sort()) {
      const c = this.clients.get(name)!;
      out.clients.client.push(name);
      out.clients.total.push(c.total);
      out.clients.last.push(c.last);
    }
    // Keys are `client\0table\0operation` and no name holds a NUL, so key order is (client, table, operation) order.
    for (const k of [...this.tables.keys()].sort()) {
      const t = this.tables.get(k)!;
      out.tables.client.push(t.c);
      out.tables.table.push(t.t);
      out.tables.operation.push(t.o);
      out.tables.total.push(t.total);
      out.tables.errors.push(t.errors);
      out.tables.last.push(t.last);
    }
    return out;
  }
}
