import { AthenaError } from '@athena/common';
import { parseNotFilter, parseOrFilter, parsePostgrestItem } from './postgrest-filter';
import { compileSelect } from './sql-compiler';
import { parseFetchPayload } from './parse';
import { itemsSchema } from './sql-compiler.fixture';

describe('PostgREST-style filters sent by the SDK (not / or)', () => {
  it('parses column.op.value items, including negation, is, in and like wildcards', () => {
    expect(parsePostgrestItem('qty.eq.2', false)).toEqual({ column: 'qty', op: 'eq', value: '2' });
    expect(parsePostgrestItem('name.not.is.null', false)).toEqual({
      column: 'name',
      op: 'is',
      value: null,
      negate: true,
    });
    expect(parsePostgrestItem('qty.in.1,2', false)).toEqual({ column: 'qty', op: 'in', value: ['1', '2'] });
    expect(parsePostgrestItem('qty.in.(1,"a,b")', false)).toEqual({ column: 'qty', op: 'in', value: ['1', 'a,b'] });
    expect(parsePostgrestItem('name.ilike.*an*', false)).toEqual({ column: 'name', op: 'ilike', value: '%an%' });
    expect(parsePostgrestItem('createdAt.gte.2024-01-01', true)).toEqual({
      column: 'created_at',
      op: 'gte',
      value: '2024-01-01',
    });
  });

  it('not() flips the item; or() keeps bare in-lists together', () => {
    expect(parseNotFilter('qty.eq.2', false)).toEqual({ column: 'qty', op: 'eq', value: '2', negate: true });
    expect(parseNotFilter('qty.not.eq.2', false)).toEqual({ column: 'qty', op: 'eq', value: '2', negate: false });
    expect(parseOrFilter('qty.eq.1,qty.in.3,4,name.is.null', false)).toEqual({
      op: 'or',
      any: [
        { column: 'qty', op: 'eq', value: '1' },
        { column: 'qty', op: 'in', value: ['3', '4'] },
        { column: 'name', op: 'is', value: null },
      ],
    });
    expect(parseOrFilter('(a.eq.1,b.eq.2)', false).any).toHaveLength(2);
  });

  it.each([
    ['no operator', () => parsePostgrestItem('qty', false), 'invalid_fetch_condition'],
    ['unknown operator', () => parsePostgrestItem('qty.between.1', false), 'invalid_fetch_condition'],
    ['bad is value', () => parsePostgrestItem('qty.is.maybe', false), 'invalid_condition_value'],
    ['injection in the column', () => parsePostgrestItem('qty;drop.eq.1', false), 'invalid_identifier'],
    ['nested group', () => parseOrFilter('or(a.eq.1)', false), 'invalid_fetch_condition'],
    ['non-string not', () => parseNotFilter(5, false), 'invalid_fetch_condition'],
  ])('%s → 400', (_n, fn, code) => {
    try {
      fn();
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(AthenaError);
      expect((e as AthenaError).status).toBe(400);
      expect((e as AthenaError).code).toBe(code);
    }
  });

  it('compiles to NOT (...) and (... OR ...) with bound values', () => {
    const q = parseFetchPayload(
      {
        table_name: 'items',
        conditions: [
          { operator: 'not', value: 'qty.in.1,2' },
          { operator: 'or', value: 'qty.eq.1,name.is.null' },
        ],
      },
      { camelToSnake: false, maxRows: 100 },
    );
    const sql = compileSelect(q, itemsSchema(), { autoCastUuid: true });
    expect(sql.text).toBe(
      'SELECT * FROM "public"."items" WHERE NOT ("qty" = ANY($1)) AND ("qty" = $2 OR "name" IS NULL) LIMIT $3',
    );
    expect(sql.values).toEqual([['1', '2'], '1', 101]);
  });
});
