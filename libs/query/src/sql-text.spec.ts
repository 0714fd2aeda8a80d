import { AthenaError } from '@athena/common';
import { MAX_SQL_LENGTH, normalizeSqlText } from './sql-text';

function err(f: () => unknown): AthenaError {
  try {
    f();
  } catch (e) {
    return e as AthenaError;
  }
  throw new Error('expected a throw');
}

describe('normalizeSqlText', () => {
  it.each([
    ['SELECT 1', 'SELECT 1'],
    ['  SELECT 1  ', 'SELECT 1'],
    ['SELECT 1;', 'SELECT 1'],
    ['SELECT 1 ;  \n', 'SELECT 1'],
    ['\tSELECT 1;\n', 'SELECT 1'],
    // only one trailing semicolon goes; inner ones stay (the database rejects multiple statements itself)
    ['SELECT 1;;', 'SELECT 1;'],
    ['SELECT 1; SELECT 2', 'SELECT 1; SELECT 2'],
    ["SELECT ';'", "SELECT ';'"],
  ])('%p → %p', (raw, want) => {
    expect(normalizeSqlText(raw)).toBe(want);
  });

  it.each(['', '   ', ';', ' ; ', '\n;\n'])('%p → 400 empty_query', (raw) => {
    const e = err(() => normalizeSqlText(raw));
    expect(e).toBeInstanceOf(AthenaError);
    expect([e.status, e.code, e.detail]).toEqual([400, 'empty_query', '"query" is empty; send one statement']);
    expect(err(() => normalizeSqlText(raw, 'SQL statement')).detail).toBe('"query" is empty; send one SQL statement');
  });

  it('caps the length after trimming', () => {
    const max = 'S'.repeat(MAX_SQL_LENGTH);
    expect(normalizeSqlText(`  ${max} ; `)).toBe(max);
    const e = err(() => normalizeSqlText(`${max}x`));
    expect([e.status, e.code, e.message]).toEqual([400, 'invalid_query_payload', 'Query too long']);
    expect(e.detail).toBe(`"query" is longer than ${MAX_SQL_LENGTH} characters`);
  });
});
