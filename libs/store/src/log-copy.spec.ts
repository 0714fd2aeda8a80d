import { operationLogBuffer, requestLogBuffer } from './copy-log-buffer';
import {
  AUTH_LOG_COLUMNS,
  authLogLine,
  copyJson,
  copyNumber,
  copyText,
  copyTextArray,
  OPERATION_LOG_COLUMNS,
  REQUEST_LOG_COLUMNS,
} from './log-copy';
import type { OperationLogRow, RequestLogRow } from './log-rows';
import { operationLogRow, requestLogRow } from './testing';

/** Rows through the writers' buffer, as one batch (text and statistics). */
function requestBatch(rows: RequestLogRow[]) {
  const b = requestLogBuffer(rows.length || 1);
  for (const r of rows) b.push(r);
  return b.take(rows.length || 1).batch;
}
function operationBatch(rows: OperationLogRow[]) {
  const b = operationLogBuffer(rows.length || 1);
  for (const r of rows) b.push(r);
  return b.take(rows.length || 1).batch;
}

const req = requestLogRow;
const op = operationLogRow;

describe('COPY text encoding of the gateway logs', () => {
  it('escapes backslash, tab, newline and carriage return; NULL is \\N; NUL becomes U+FFFD', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(undefined)).toBe('\\N');
    expect(copyText('plain')).toBe('plain');
    expect(copyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyText('\\N')).toBe('\\\\N'); // the text "\N" is not NULL
    expect(copyText('\\.')).toBe('\\\\.'); // never the end-of-data marker
    expect(copyText('a\u0000b')).toBe('a\uFFFDb');
    expect(copyText('')).toBe('');
  });

  it('numbers: finite values as text, absent or non-finite as NULL', () => {
    expect(copyNumber(200)).toBe('200');
    expect(copyNumber(0.125)).toBe('0.125');
    expect(copyNumber(null)).toBe('\\N');
    expect(copyNumber(Number.NaN)).toBe('\\N');
  });

  it('jsonb: serialized then escaped; a NUL inside a string becomes U+FFFD (jsonb refuses \\u0000)', () => {
    expect(copyJson(null)).toBe('\\N');
    expect(copyJson({ code: 'x', error: 'line1\nline2 \\ tab\t' })).toBe(
      '{"code":"x","error":"line1\\\\nline2 \\\\\\\\ tab\\\\t"}',
    );
    expect(copyJson({ error: { nested: 'a\u0000b' } })).toBe('{"error":{"nested":"a\uFFFDb"}}');
  });

  it('one line per row, one field per column, in column order', () => {
    const text = requestBatch([
      req(),
      req({ request_id: 'r2', query_string: 'a=1', user_agent: 'tab\there', cached: true, status_code: 404 }),
    ]).text.toString('utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const f1 = lines[0].split('\t');
    expect(f1).toHaveLength(REQUEST_LOG_COLUMNS.length);
    expect(Object.fromEntries(REQUEST_LOG_COLUMNS.map((c, i) => [c, f1[i]]))).toEqual({
      created_at: '2026-12-06T07:00:00.000Z',
      request_id: 'r1',
      client: 'main',
      method: 'POST',
      path: '/gateway/fetch',
      query_string: '\\N',
      status_code: '200',
      ipv4: '127.0.0.1',
      user_agent: 'curl/8',
      user_id: '\\N',
      company_id: '\\N',
      organization_id: '\\N',
      host: 'localhost:4052',
      cached: 'f',
      time: '1.25',
    });
    const f2 = lines[1].split('\t');
    expect(f2).toHaveLength(REQUEST_LOG_COLUMNS.length); // the escaped tab did not split the field
    expect(f2[REQUEST_LOG_COLUMNS.indexOf('user_agent')]).toBe('tab\\there');
    expect(f2[REQUEST_LOG_COLUMNS.indexOf('cached')]).toBe('t');

    const o = operationBatch([op({ error: true, message: 'bad: x', details: { code: 'bad' } })])
      .text.toString('utf8')
      .split('\t');
    expect(o).toHaveLength(OPERATION_LOG_COLUMNS.length);
    expect(o[OPERATION_LOG_COLUMNS.indexOf('error')]).toBe('t');
    expect(o[OPERATION_LOG_COLUMNS.indexOf('message')]).toBe('bad: x');
    expect(o[OPERATION_LOG_COLUMNS.indexOf('details')]).toBe('{"code":"bad"}\n');
  });
});

describe('api_key_auth_log lines', () => {
  it('text[] fields are quoted array literals, then COPY-escaped; NULL is \\N', () => {
    expect(copyTextArray(null)).toBe('\\N');
    expect(copyTextArray([])).toBe('{}');
    expect(copyTextArray(['items.read', 'gateway.*'])).toBe('{"items.read","gateway.*"}');
    // Inside the literal a quote and a backslash get a backslash; COPY text then doubles every backslash.
    expect(copyTextArray(['a"b', 'c\\d', 'e,f'])).toBe('{"a\\\\"b","c\\\\\\\\d","e,f"}');
  });

  it('one field per column, the epoch-ms timestamp as ISO', () => {
    const line = authLogLine({
      created_at: Date.UTC(2026, 11, 6, 7, 0, 0),
      request_id: 'r1',
      api_key_id: null,
      presented_public_id: 'pub',
      presented_hash_prefix: null,
      key_source: 'authorization',
      credential: 'api_key',
      client_name: 'main',
      method: 'POST',
      path: '/gateway/fetch',
      ipv4: '127.0.0.1',
      user_agent: 'tab\there',
      enforced: true,
      authenticated: true,
      authorized: false,
      required_rights: ['items.read'],
      granted_rights: null,
      outcome: 'denied',
      reason: 'missing_right',
    });
    expect(line.endsWith('\n')).toBe(true);
    const f = line.slice(0, -1).split('\t');
    expect(f).toHaveLength(AUTH_LOG_COLUMNS.length);
    const byCol = Object.fromEntries(AUTH_LOG_COLUMNS.map((c, i) => [c, f[i]]));
    expect(byCol).toMatchObject({
      created_at: '2026-12-06T07:00:00.000Z',
      api_key_id: '\\N',
      user_agent: 'tab\\there',
      enforced: 't',
      authorized: 'f',
      required_rights: '{"items.read"}',
      granted_rights: '\\N',
      reason: 'missing_right',
    });
  });
});

describe('per-batch statistics', () => {
  it('requests: per client, sorted; failures are status ≥ 400; rows without a client are not counted', () => {
    const s = requestBatch([
      req({ client: 'zeta', created_at: '2026-12-06T07:00:02.000Z' }),
      req({ client: 'alpha', status_code: 500, created_at: '2026-12-06T07:00:01.000Z' }),
      req({ client: 'zeta', cached: true, status_code: 404, created_at: '2026-12-06T07:00:01.500Z' }),
      req({ client: null }),
    ]).stats;
    expect(s).toEqual({
      client: ['alpha', 'zeta'],
      total: [1, 2],
      ok: [0, 1],
      failed: [1, 1],
      cached: [0, 1],
      last: ['2026-12-06T07:00:01.000Z', '2026-12-06T07:00:02.000Z'],
    });
  });

  it('operations: per client and per (client, table, operation); errors are error or status ≥ 400', () => {
    const s = operationBatch([
      op({ created_at: '2026-12-06T07:00:03.000Z' }),
      op({ error: true, status_code: 200 }),
      op({ status_code: 409, operation: 'insert' }),
      op({ table_name: null, operation: 'query' }), // raw SQL: counted for the client only
      op({ client_name: 'b', table_name: 'a' }),
      op({ client_name: null }),
    ]).stats;
    expect(s.clients).toEqual({
      client: ['b', 'main'],
      total: [1, 4],
      last: ['2026-12-06T07:00:00.000Z', '2026-12-06T07:00:03.000Z'],
    });
    expect(s.tables).toEqual({
      client: ['b', 'main', 'main'],
      table: ['a', 'items', 'items'],
      operation: ['fetch', 'fetch', 'insert'],
      total: [1, 2, 1],
      errors: [0, 1, 1],
      last: ['2026-12-06T07:00:00.000Z', '2026-12-06T07:00:03.000Z', '2026-12-06T07:00:00.000Z'],
    });
  });
});
