import { AthenaError } from '@athena/common';
import { parseSqlRequest } from './sql-request';

const fails = (body: unknown) => {
  try {
    parseSqlRequest(body);
  } catch (e) {
    return e as AthenaError;
  }
  throw new Error('expected an error');
};

describe('parseSqlRequest', () => {
  it('normalises driver aliases, trims the statement and db_name', () => {
    expect(parseSqlRequest({ query: ' select 1; ', driver: 'Postgres', db_name: ' main ' })).toEqual({
      query: 'select 1',
      driver: 'postgresql',
      dbName: 'main',
    });
    expect(parseSqlRequest({ query: 'select * from t', driver: 'athena' })).toEqual({
      query: 'select * from t',
      driver: 'athena',
      dbName: null,
    });
    expect(parseSqlRequest({ query: 'x', driver: 'supabase', db_name: '' }).dbName).toBeNull();
  });

  it.each([
    [null, 400, 'invalid_query_payload'],
    [[], 400, 'invalid_query_payload'],
    [{ driver: 'postgresql' }, 400, 'invalid_query_payload'],
    [{ query: ' ; ', driver: 'postgresql' }, 400, 'empty_query'],
    [{ query: 'x'.repeat(100_001), driver: 'postgresql' }, 400, 'invalid_query_payload'],
    [{ query: 'select 1', driver: 'scylla' }, 400, 'invalid_driver'],
    [{ query: 'select 1' }, 400, 'invalid_driver'],
    [{ query: 'select 1', driver: 'postgresql', db_name: 3 }, 400, 'invalid_query_payload'],
    [{ query: 'select 1', driver: 'postgresql', db_name: 'not a client' }, 400, 'invalid_client_name'],
    [{ query: 'select 1', driver: 'postgresql', db_name: '\u0084' }, 400, 'invalid_client_name'],
  ])('%j → %d %s', (body, status, code) => {
    const e = fails(body);
    expect(e).toBeInstanceOf(AthenaError);
    expect([e.status, e.code]).toEqual([status, code]);
  });
});
