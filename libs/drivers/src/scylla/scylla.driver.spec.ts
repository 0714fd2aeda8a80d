import { errors, types } from 'cassandra-driver';
import { AthenaError } from '@athena/common';
import { isUnavailableError, mapCqlError } from './cql-errors';
import { indexTarget, isSystemKeyspace } from './schema-introspector';
import { toJsonValue } from './scylla.driver';

describe('toJsonValue (driver values → JSON)', () => {
  it('keeps exact bigints, renders driver types as text, blobs as 0x hex', () => {
    expect(toJsonValue(types.Long.fromString('42'))).toBe(42);
    expect(toJsonValue(types.Long.fromString('9007199254740993'))).toBe('9007199254740993');
    expect(toJsonValue(types.Uuid.fromString('5d845b27-8d06-40a0-9e76-08de9d9f3c1f'))).toBe(
      '5d845b27-8d06-40a0-9e76-08de9d9f3c1f',
    );
    expect(toJsonValue(types.BigDecimal.fromString('12.50'))).toBe('12.50');
    expect(toJsonValue(types.LocalDate.fromString('2024-01-02'))).toBe('2024-01-02');
    expect(toJsonValue(types.InetAddress.fromString('127.0.0.1'))).toBe('127.0.0.1');
    expect(toJsonValue(new Date('2024-01-01T10:00:00Z'))).toBe('2024-01-01T10:00:00.000Z');
    expect(toJsonValue(Buffer.from([0xca, 0xfe]))).toBe('0xcafe');
    expect(toJsonValue(new types.Tuple(1, 'a'))).toEqual([1, 'a']);
    expect(toJsonValue({ a: types.Long.fromNumber(1), b: [types.Long.fromNumber(2)] })).toEqual({ a: 1, b: [2] });
    expect(toJsonValue(new Map([['k', 1]]))).toEqual({ k: 1 });
    expect(toJsonValue(new Set(['x']))).toEqual(['x']);
    expect(toJsonValue(undefined)).toBeNull();
    expect(toJsonValue(Number.NaN)).toBe('NaN');
  });
});

describe('mapCqlError', () => {
  const C = types.responseErrorCodes;
  const map = (e: unknown, opts = {}) => mapCqlError(e, 'ev', opts);
  it('unreachable cluster → 503 backend_unavailable with Retry-After', () => {
    for (const e of [new errors.NoHostAvailableError({}), new errors.ResponseError(C.overloaded, 'busy')]) {
      const a = map(e);
      expect(a.status).toBe(503);
      expect(a.code).toBe('backend_unavailable');
      expect(a.headers['Retry-After']).toBeDefined();
    }
  });
  it('a client-side request timeout alone is a slow statement (504 query_timeout), not an outage', () => {
    // The driver probes the cluster first and answers 503 itself when the probe fails too.
    expect(isUnavailableError(new errors.OperationTimedOutError('timeout'))).toBe(false);
    const a = map(new errors.OperationTimedOutError('timeout'));
    expect(a).toMatchObject({ status: 504, code: 'query_timeout' });
    expect(a.message).toMatch(/exceeded request_timeout_ms/);
  });
  it('statement errors → stable 4xx codes; server words only for raw CQL', () => {
    expect(
      map(
        new errors.ResponseError(
          C.invalid,
          'Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING',
        ),
      ).code,
    ).toBe('unsupported_by_backend');
    expect(map(new errors.ResponseError(C.invalid, 'unconfigured table nope')).status).toBe(404);
    expect(map(new errors.ResponseError(C.invalid, 'Undefined column name x')).code).toBe('unknown_column');
    const syntax = map(new errors.ResponseError(C.syntaxError, "line 1:0 no viable alternative at input 'SELEC'"));
    expect(syntax).toMatchObject({ status: 400, code: 'cql_syntax_error', detail: 'The statement has a syntax error' });
    expect(map(new errors.ResponseError(C.syntaxError, 'line 1:0 no viable'), { exposeMessage: true }).detail).toBe(
      'line 1:0 no viable',
    );
    expect(map(new errors.ResponseError(C.unauthorized, 'no')).status).toBe(403);
    expect(map(new errors.ResponseError(C.writeTimeout, 't')).status).toBe(504);
    expect(map(new TypeError('Not a valid Uuid')).code).toBe('invalid_value');
    expect(
      map(new errors.ResponseError(C.protocolError, 'Invalid value for the paging state'), { pagedWith: 'ab' }).code,
    ).toBe('invalid_page_state');
    const unknown = map(new Error('boom'));
    expect(unknown).toBeInstanceOf(AthenaError);
    expect(unknown.status).toBe(500);
    expect(unknown.detail).not.toContain('boom');
  });
});

describe('schema introspection helpers', () => {
  it('index targets and system keyspaces', () => {
    expect(indexTarget('email')).toBe('email');
    expect(indexTarget('values(tags)')).toBe('tags');
    expect(indexTarget('keys("Map")')).toBe('Map');
    expect(isSystemKeyspace('system_schema')).toBe(true);
    expect(isSystemKeyspace('app')).toBe(false);
  });
});
