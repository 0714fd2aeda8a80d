import { caught } from '../../common/src/testing';
import { AthenaError } from '@athena/common';
import type { Condition } from './ast';
import {
  ParseOptions,
  parseDataQuery,
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
} from './parse';

const OPTS: ParseOptions = { camelToSnake: false, maxRows: 1000 };
const SNAKE: ParseOptions = { camelToSnake: true, maxRows: 1000 };

function expectError(fn: () => unknown, code: string, fragment: string): AthenaError {
  const e = caught(fn);
  expect(e.status).toBe(400);
  expect(e.code).toBe(code);
  expect(`${e.message} | ${e.detail}`).toContain(fragment);
  return e;
}

const fetch = (body: Record<string, unknown>, opts: ParseOptions = OPTS) =>
  parseFetchPayload({ table_name: 'items', ...body }, opts);

describe('parseFetchPayload: target and body shape', () => {
  it('parses the minimal body with defaults', () => {
    expect(parseFetchPayload({ table_name: 'items' }, OPTS)).toEqual({
      kind: 'fetch',
      table: { schema: null, name: 'items' },
      columns: null,
      conditions: [],
      sort: null,
      limit: 1000,
      offset: 0,
      probeTruncation: true,
      stripNulls: false,
      postProcessing: null,
    });
  });

  it('accepts view_name and schema-qualified names', () => {
    expect(parseFetchPayload({ view_name: 'v_items' }, OPTS).table).toEqual({ schema: null, name: 'v_items' });
    expect(parseFetchPayload({ table_name: 'app.items' }, OPTS).table).toEqual({ schema: 'app', name: 'items' });
    expect(parseFetchPayload({ table_name: 'items', view_name: 'other' }, OPTS).table.name).toBe('items');
  });

  it('requires table_name or view_name', () => {
    expectError(() => parseFetchPayload({}, OPTS), 'invalid_request', 'table_name or view_name');
    expectError(() => parseFetchPayload({ table_name: '  ' }, OPTS), 'invalid_request', 'table_name');
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, undefined, 'x', 5, [], [{ table_name: 'items' }]]) {
      expectError(() => parseFetchPayload(body, OPTS), 'invalid_request', 'JSON object');
    }
  });

  it('names the field and the expected type on wrong JSON types', () => {
    expectError(() => parseFetchPayload({ table_name: 5 }, OPTS), 'invalid_request', '"table_name"');
    expectError(() => parseFetchPayload({ table_name: 5 }, OPTS), 'invalid_request', 'a string');
    expectError(() => fetch({ conditions: 'x' }), 'invalid_request', '"conditions"');
    expectError(() => fetch({ conditions: { eq_column: 'a' } }), 'invalid_request', 'an array');
    expectError(() => fetch({ columns: 7 }), 'invalid_request', '"columns"');
    expectError(() => fetch({ columns: ['a', 7] }), 'invalid_request', 'an array of strings');
    expectError(() => fetch({ strip_nulls: 'maybe' }), 'invalid_request', '"strip_nulls"');
    expectError(() => fetch({ group_by: 5 }), 'invalid_request', '"group_by"');
    expectError(() => fetch({ limit: '10' }), 'invalid_request', '"limit"');
  });

  it('tolerates unknown fields', () => {
    const q = fetch({ count: 'exact', head: true, default_to_null: false, schema_name: 'x', total_pages: 9, foo: {} });
    expect(q.limit).toBe(1000);
  });
});

describe('parseFetchPayload: columns', () => {
  it('accepts arrays and comma strings, trims and drops empties', () => {
    expect(fetch({ columns: ['id', ' name '] }).columns).toEqual(['id', 'name']);
    expect(fetch({ columns: 'id, name,,' }).columns).toEqual(['id', 'name']);
    expect(fetch({ columns: 'id' }).columns).toEqual(['id']);
  });

  it('maps "*", empty and absent to null (all columns)', () => {
    expect(fetch({ columns: '*' }).columns).toBeNull();
    expect(fetch({ columns: ['*'] }).columns).toBeNull();
    expect(fetch({ columns: '' }).columns).toBeNull();
    expect(fetch({ columns: [] }).columns).toBeNull();
    expect(fetch({}).columns).toBeNull();
  });

  it('normalises with the camel→snake toggle and validates every name', () => {
    expect(fetch({ columns: 'createdAt,TotalValue' }, SNAKE).columns).toEqual(['created_at', 'total_value']);
    expect(fetch({ columns: 'createdAt' }).columns).toEqual(['createdAt']);
    expectError(() => fetch({ columns: 'id,name:alias' }), 'invalid_identifier', 'name:alias');
    expectError(() => fetch({ columns: ['count()'] }), 'invalid_identifier', 'count()');
  });
});

describe('parseFetchPayload: conditions', () => {
  it('ignores [{}] and empty objects (2.x spec example)', () => {
    expect(fetch({ conditions: [{}] }).conditions).toEqual([]);
    expect(fetch({ conditions: [{}, { eq_column: 'a', eq_value: 1 }, {}] }).conditions).toEqual([
      { column: 'a', op: 'eq', value: 1 },
    ]);
    expect(fetch({ conditions: null }).conditions).toEqual([]);
  });

  it('parses the legacy eq shape', () => {
    expect(fetch({ conditions: [{ eq_column: 'status', eq_value: 'open' }] }).conditions).toEqual([
      { column: 'status', op: 'eq', value: 'open' },
    ]);
    expect((fetch({ conditions: [{ eq_column: 'x', eq_value: null }] }).conditions[0] as Condition).value).toBeNull();
  });

  it('parses the operator shape, including explicit null values and eq_* fallbacks', () => {
    expect(
      fetch({
        conditions: [
          { operator: 'gt', column: 'qty', value: 1 },
          { operator: 'is', column: 'qty', value: null },
          { operator: 'eq', eq_column: 'a', eq_value: 'b' },
          { operator: 'in', column: 'qty', value: [1, 3] },
          { operator: 'containedBy', column: 'tags', value: ['a'] },
          { operator: 'ILIKE', column: 'name', value: 'a%' },
        ],
      }).conditions,
    ).toEqual([
      { column: 'qty', op: 'gt', value: 1 },
      { column: 'qty', op: 'is', value: null },
      { column: 'a', op: 'eq', value: 'b' },
      { column: 'qty', op: 'in', value: [1, 3] },
      { column: 'tags', op: 'containedBy', value: ['a'] },
      { column: 'name', op: 'ilike', value: 'a%' },
    ]);
  });

  it('normalises condition columns with the toggle', () => {
    expect(
      (fetch({ conditions: [{ operator: 'eq', column: 'orgId', value: 1 }] }, SNAKE).conditions[0] as Condition).column,
    ).toBe('org_id');
    expect(
      (fetch({ conditions: [{ eq_column: 'OrgId', eq_value: 1 }] }, SNAKE).conditions[0] as Condition).column,
    ).toBe('org_id');
  });

  it('refuses unsupported operators naming them and listing the supported ones', () => {
    for (const op of ['between', 'contains_all', 5]) {
      const e = expectError(
        () => fetch({ conditions: [{ operator: op, column: 'a', value: 'x' }] }),
        'invalid_fetch_condition',
        String(op),
      );
      expect(e.detail).toContain('eq, neq, gt, gte, lt, lte, like, ilike, is, in, contains, containedBy, not, or');
    }
    expectError(
      () => fetch({ conditions: [{ operator: 'not', value: 'qty' }] }),
      'invalid_fetch_condition',
      'column.operator.value',
    );
    expectError(
      () => fetch({ conditions: [{ operator: 'or', value: 'and(a.eq.1,b.eq.2)' }] }),
      'invalid_fetch_condition',
      'Nested groups',
    );
  });

  it('refuses non-object conditions and conditions without a column', () => {
    expectError(() => fetch({ conditions: ['a=1'] }), 'invalid_fetch_condition', 'index 0');
    expectError(() => fetch({ conditions: [null] }), 'invalid_fetch_condition', 'must be an object');
    expectError(() => fetch({ conditions: [[1]] }), 'invalid_fetch_condition', 'must be an object');
    expectError(() => fetch({ conditions: [{ eq_value: 1 }] }), 'invalid_fetch_condition', 'no column');
    expectError(() => fetch({ conditions: [{ operator: 'eq', value: 1 }] }), 'invalid_fetch_condition', 'no column');
    expectError(
      () => fetch({ conditions: [{ operator: 'eq', column: 5, value: 1 }] }),
      'invalid_fetch_condition',
      'no column',
    );
  });

  it('caps the number of conditions at 100', () => {
    const many = Array.from({ length: 101 }, () => ({ eq_column: 'a', eq_value: 1 }));
    expectError(() => fetch({ conditions: many }), 'invalid_fetch_condition', '100');
    expect(fetch({ conditions: many.slice(0, 100) }).conditions).toHaveLength(100);
  });

  describe('value rules', () => {
    const cond = (operator: string, value: unknown) => () => fetch({ conditions: [{ operator, column: 'c', value }] });
    const ok = (operator: string, value: unknown) => expect(cond(operator, value)).not.toThrow();
    const ko = (operator: string, value: unknown, fragment: string) =>
      expectError(cond(operator, value), 'invalid_condition_value', fragment);

    it('in: array of scalars, at most 1000', () => {
      ok('in', []);
      ok('in', [1, 'a', true, null]);
      ko('in', 1, 'array');
      ko('in', [[1]], 'scalar');
      ko('in', [{ a: 1 }], 'scalar');
      ko(
        'in',
        Array.from({ length: 1001 }, (_, i) => i),
        '1000',
      );
      ok(
        'in',
        Array.from({ length: 1000 }, (_, i) => i),
      );
    });

    it('is: null, true or false', () => {
      ok('is', null);
      ok('is', true);
      ok('is', false);
      ko('is', 'null', 'null, true or false');
      ko('is', 0, 'null, true or false');
    });

    it('like/ilike: string', () => {
      ok('like', 'a%');
      ko('like', 5, 'string');
      ko('ilike', null, 'string');
    });

    it('gt/gte/lt/lte: non-null scalar', () => {
      for (const op of ['gt', 'gte', 'lt', 'lte']) {
        ok(op, 1);
        ok(op, '2024-01-01');
        ko(op, null, 'non-null scalar');
        ko(op, [1], 'non-null scalar');
      }
    });

    it('contains/containedBy: array or object', () => {
      ok('contains', ['a']);
      ok('contains', { a: 1 });
      ok('containedBy', []);
      ko('contains', 'a', 'array or an object');
      ko('containedBy', null, 'array or an object');
    });

    it('eq/neq: scalar, null allowed', () => {
      ok('eq', null);
      ok('neq', null);
      ok('eq', 'x');
      ko('eq', [1], 'scalar');
      ko('neq', { a: 1 }, 'scalar');
    });

    it('a missing value is refused', () => {
      expectError(
        () => fetch({ conditions: [{ operator: 'eq', column: 'c' }] }),
        'invalid_condition_value',
        'no value',
      );
      expectError(() => fetch({ conditions: [{ eq_column: 'c' }] }), 'invalid_condition_value', 'no value');
    });
  });
});

describe('parseFetchPayload: limit, offset, paging', () => {
  it('applies the max_rows cap with a truncation probe', () => {
    expect(fetch({})).toMatchObject({ limit: 1000, probeTruncation: true });
    expect(fetch({ limit: 5000 })).toMatchObject({ limit: 1000, probeTruncation: true });
    expect(fetch({ limit: 1000 })).toMatchObject({ limit: 1000, probeTruncation: false });
    expect(fetch({ limit: 10 })).toMatchObject({ limit: 10, probeTruncation: false });
    expect(fetch({ limit: 0 })).toMatchObject({ limit: 0, probeTruncation: false });
    expect(fetch({ limit: null })).toMatchObject({ limit: 1000, probeTruncation: true });
  });

  it('refuses negative, fractional and oversized limits/offsets with the allowed range', () => {
    for (const field of ['limit', 'offset']) {
      for (const v of [-1, 1.5, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        expectError(() => fetch({ [field]: v }), 'invalid_limit', '2147483647');
      }
    }
    expect(fetch({ offset: 2 ** 31 - 1 }).offset).toBe(2 ** 31 - 1);
  });

  it('derives LIMIT/OFFSET from current_page and page_size; explicit offset (and limit) win', () => {
    expect(fetch({ current_page: 3, page_size: 20 })).toMatchObject({ limit: 20, offset: 40, probeTruncation: false });
    expect(fetch({ page_size: 20 })).toMatchObject({ limit: 20, offset: 0 });
    expect(fetch({ current_page: 3, page_size: 20, offset: 5 })).toMatchObject({ limit: 20, offset: 5 });
    expect(fetch({ current_page: 3, page_size: 20, limit: 7 })).toMatchObject({ limit: 7, offset: 40 });
    expect(fetch({ current_page: 3 })).toMatchObject({ limit: 1000, offset: 0 });
    expect(fetch({ current_page: 1, page_size: 5000 })).toMatchObject({ limit: 1000, probeTruncation: true });
    expectError(() => fetch({ current_page: 0, page_size: 10 }), 'invalid_limit', 'current_page');
    expectError(() => fetch({ current_page: 2 ** 30, page_size: 1000 }), 'invalid_limit', '2147483647');
  });
});

describe('parseFetchPayload: strip_nulls', () => {
  it('uses the body value when present, otherwise the header', () => {
    expect(fetch({}).stripNulls).toBe(false);
    expect(fetch({ strip_nulls: true }).stripNulls).toBe(true);
    for (const h of ['true', 'TRUE', '1', 'yes', 'On']) {
      expect(fetch({}, { ...OPTS, stripNullsHeader: h }).stripNulls).toBe(true);
    }
    for (const h of ['false', '0', 'nope', '']) {
      expect(fetch({}, { ...OPTS, stripNullsHeader: h }).stripNulls).toBe(false);
    }
    expect(fetch({ strip_nulls: true }, { ...OPTS, stripNullsHeader: 'false' }).stripNulls).toBe(true);
    expect(fetch({ strip_nulls: false }, { ...OPTS, stripNullsHeader: 'true' }).stripNulls).toBe(false);
  });
});

describe('parseFetchPayload: sort', () => {
  it('reads sort_by then sortBy, field then column', () => {
    expect(fetch({ sort_by: { field: 'name' } }).sort).toEqual({ column: 'name', direction: 'asc' });
    expect(fetch({ sortBy: { column: 'name', direction: 'desc' } }).sort).toEqual({
      column: 'name',
      direction: 'desc',
    });
    expect(fetch({ sort_by: { field: 'a' }, sortBy: { field: 'b' } }).sort?.column).toBe('a');
    expect(fetch({ sort_by: { field: 'createdAt' } }, SNAKE).sort?.column).toBe('created_at');
  });

  it('maps directions: asc/ascending (any case) → asc, desc/descending → desc, missing → asc; anything else → 400 invalid_sort', () => {
    const dir = (direction: unknown) => fetch({ sort_by: { field: 'a', direction } }).sort?.direction;
    expect(dir('ASC')).toBe('asc');
    expect(dir('Ascending')).toBe('asc');
    expect(dir('desc')).toBe('desc');
    expect(dir('descending')).toBe('desc');
    expect(dir(undefined)).toBe('asc');
    expectError(() => dir('foo'), 'invalid_sort', 'direction');
    expectError(() => dir(1), 'invalid_sort', 'direction');
  });

  it('no sort for an empty object or an empty name; non-objects and non-string fields → 400 invalid_sort', () => {
    expect(fetch({ sort_by: { field: '' } }).sort).toBeNull();
    expect(fetch({ sort_by: {} }).sort).toBeNull();
    expectError(() => fetch({ sort_by: 'name' }), 'invalid_sort', 'sort_by');
    expectError(() => fetch({ sort_by: ['name'] }), 'invalid_sort', 'sort_by');
    expectError(() => fetch({ sortBy: { field: 42 } }), 'invalid_sort', 'field');
  });
});

describe('parseFetchPayload: post-processing', () => {
  it('is null without group_by, even if other fields are set', () => {
    expect(fetch({ aggregation_strategy: 'cumulative_sum', time_granularity: 'week' }).postProcessing).toBeNull();
  });

  it('parses a full spec, normalising names', () => {
    expect(
      fetch(
        {
          group_by: 'createdAt',
          time_granularity: 'DAY',
          aggregation_column: 'TotalValue',
          aggregation_strategy: 'cumulative_sum',
          aggregation_dedup: true,
        },
        SNAKE,
      ).postProcessing,
    ).toEqual({
      groupBy: 'created_at',
      timeGranularity: 'day',
      aggregationColumn: 'total_value',
      aggregationStrategy: 'cumulative_sum',
      aggregationDedup: true,
    });
    expect(fetch({ group_by: 'status' }).postProcessing).toEqual({
      groupBy: 'status',
      timeGranularity: null,
      aggregationColumn: null,
      aggregationStrategy: null,
      aggregationDedup: false,
    });
  });

  it('refuses unsupported granularities and strategies', () => {
    expectError(
      () => fetch({ group_by: 'a', time_granularity: 'week' }),
      'invalid_post_processing_configuration',
      "Unsupported time_granularity 'week'",
    );
    expectError(
      () => fetch({ group_by: 'a', aggregation_column: 'v', aggregation_strategy: 'sum' }),
      'invalid_post_processing_configuration',
      "aggregation_strategy 'sum'",
    );
  });

  it('requires aggregation_column with aggregation_strategy (exact message)', () => {
    const e = expectError(
      () => fetch({ group_by: 'a', aggregation_strategy: 'cumulative_sum' }),
      'invalid_post_processing_configuration',
      'aggregation_strategy requires aggregation_column',
    );
    expect(e.message).toBe('aggregation_strategy requires aggregation_column');
  });

  it('validates group_by and aggregation_column as identifiers', () => {
    expectError(() => fetch({ group_by: 'a;b' }), 'invalid_identifier', 'group_by');
    expectError(() => fetch({ group_by: 'a', aggregation_column: '1x' }), 'invalid_identifier', 'aggregation_column');
  });
});

describe('injection attempts are refused before any SQL exists', () => {
  const attempts = ['users; drop table x', 'a"b', '1abc', 'x--', "a' OR '1'='1", 'a b', 'public.users.x'];
  it.each(attempts)('%s', (name) => {
    expectError(() => parseFetchPayload({ table_name: name }, OPTS), 'invalid_identifier', 'table');
    if (!name.includes(',')) expectError(() => fetch({ columns: [name] }), 'invalid_identifier', 'column');
    expectError(
      () => fetch({ conditions: [{ eq_column: name, eq_value: 1 }] }),
      'invalid_identifier',
      'condition column',
    );
    expectError(() => fetch({ sort_by: { field: name } }), 'invalid_identifier', 'sort column');
    expectError(
      () => parseInsertPayload({ table_name: 't', insert_body: { [name]: 1 } }, OPTS),
      'invalid_identifier',
      'insert_body',
    );
    expectError(
      () =>
        parseUpdatePayload(
          { table_name: 't', update_body: { [name]: 1 }, conditions: [{ eq_column: 'id', eq_value: 1 }] },
          OPTS,
        ),
      'invalid_identifier',
      'update_body',
    );
    expectError(
      () => parseInsertPayload({ table_name: 't', insert_body: { a: 1 }, on_conflict: [name] }, OPTS),
      'invalid_identifier',
      'on_conflict',
    );
  });
});

describe('parseDataQuery (GET /data)', () => {
  it('requires view', () => {
    expectError(() => parseDataQuery({}, OPTS), 'invalid_request', 'view');
    expectError(() => parseDataQuery({ view: '' }, OPTS), 'invalid_request', 'view');
  });

  it('maps the parameters onto the fetch parser', () => {
    const q = parseDataQuery(
      {
        view: 'public.orders',
        eq_column: 'status',
        eq_value: 'open',
        columns: 'id, createdAt',
        limit: '10',
        offset: '5',
        strip_nulls: 'yes',
        group_by: 'status',
        aggregation_column: 'total',
        aggregation_strategy: 'cumulative_sum',
        aggregation_dedup: 'true',
        time_granularity: 'hour',
        sort_by: 'createdAt',
        sort_direction: 'desc',
      },
      SNAKE,
    );
    expect(q).toEqual({
      kind: 'fetch',
      table: { schema: 'public', name: 'orders' },
      columns: ['id', 'created_at'],
      conditions: [{ column: 'status', op: 'eq', value: 'open' }],
      sort: { column: 'created_at', direction: 'desc' },
      limit: 10,
      offset: 5,
      probeTruncation: false,
      stripNulls: true,
      postProcessing: {
        groupBy: 'status',
        timeGranularity: 'hour',
        aggregationColumn: 'total',
        aggregationStrategy: 'cumulative_sum',
        aggregationDedup: true,
      },
    });
  });

  it('refuses non-integer paging (400 invalid_limit), needs both eq params, takes the first repeated value', () => {
    for (const [k, v] of [
      ['limit', 'abc'],
      ['offset', '1.5'],
      ['page_size', '99999999999'],
      ['current_page', ''],
      ['limit', '1e3'],
    ]) {
      expectError(() => parseDataQuery({ view: 'orders', [k]: v }, OPTS), 'invalid_limit', k);
    }
    const q = parseDataQuery({ view: 'orders', eq_column: 'a', columns: ['id', 'name'] }, OPTS);
    expect(q).toMatchObject({ limit: 1000, offset: 0, probeTruncation: true, conditions: [], columns: ['id'] });
    expect(parseDataQuery({ view: 'orders', current_page: '2', page_size: '10' }, OPTS)).toMatchObject({
      limit: 10,
      offset: 10,
    });
    expect(parseDataQuery({ view: 'orders', sort_by: 'id' }, OPTS).sort).toEqual({ column: 'id', direction: 'asc' });
  });

  it('still validates what it parsed', () => {
    expectError(() => parseDataQuery({ view: 'orders', limit: '-1' }, OPTS), 'invalid_limit', 'limit');
    expectError(() => parseDataQuery({ view: 'orders;drop' }, OPTS), 'invalid_identifier', 'table');
    expectError(
      () => parseDataQuery({ view: 'o', group_by: 'a', time_granularity: 'year' }, OPTS),
      'invalid_post_processing_configuration',
      'year',
    );
  });

  it('strip_nulls param beats the header', () => {
    expect(parseDataQuery({ view: 'o', strip_nulls: 'false' }, { ...OPTS, stripNullsHeader: 'true' }).stripNulls).toBe(
      false,
    );
    expect(parseDataQuery({ view: 'o' }, { ...OPTS, stripNullsHeader: 'true' }).stripNulls).toBe(true);
  });
});

describe('parseInsertPayload', () => {
  it('single object → one row, single: true; columns → returning', () => {
    expect(parseInsertPayload({ table_name: 'items', insert_body: { name: 'a', qty: 1 }, columns: '*' }, OPTS)).toEqual(
      {
        kind: 'insert',
        table: { schema: null, name: 'items' },
        rows: [{ name: 'a', qty: 1 }],
        single: true,
        onConflict: null,
        updateBody: null,
        returning: null,
      },
    );
  });

  it('array → rows, single: false; on_conflict string/array; update_body', () => {
    const c = parseInsertPayload(
      {
        table_name: 'items',
        insert_body: [{ id: 1, name: 'a' }, { id: 2 }],
        on_conflict: 'id, name',
        update_body: { name: 'z' },
        columns: 'id,name',
        count: 'exact',
        head: true,
        default_to_null: false,
      },
      OPTS,
    );
    expect(c).toMatchObject({
      single: false,
      onConflict: ['id', 'name'],
      updateBody: { name: 'z' },
      returning: ['id', 'name'],
    });
    expect(c.rows).toHaveLength(2);
    expect(
      parseInsertPayload({ table_name: 'items', insert_body: [{ a: 1 }], on_conflict: ['a'] }, OPTS).onConflict,
    ).toEqual(['a']);
  });

  it('normalises row keys with the toggle and refuses keys that collide', () => {
    const body = { createdAt: 'x', qty: 1 };
    const c = parseInsertPayload({ table_name: 'items', insert_body: body, update_body: { TotalValue: 2 } }, SNAKE);
    expect(c.rows[0]).toEqual({ created_at: 'x', qty: 1 });
    expect(c.updateBody).toEqual({ total_value: 2 });
    // no copy when nothing changes
    const same = { a: 1 };
    expect(parseInsertPayload({ table_name: 'items', insert_body: same }, SNAKE).rows[0]).toBe(same);
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: { createdAt: 1, created_at: 2 } }, SNAKE),
      'invalid_insert_payload',
      'Duplicate column "created_at"',
    );
  });

  it('refuses bad insert bodies', () => {
    expectError(
      () => parseInsertPayload({ table_name: 'items' }, OPTS),
      'invalid_insert_payload',
      'insert_body is required',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: [] }, OPTS),
      'invalid_insert_payload',
      'empty array',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: [{ a: 1 }, 5] }, OPTS),
      'invalid_insert_payload',
      'insert_body[1]',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: 'x' }, OPTS),
      'invalid_insert_payload',
      'got string',
    );
    expectError(
      () =>
        parseInsertPayload({ table_name: 'items', insert_body: Array.from({ length: 1001 }, () => ({ a: 1 })) }, OPTS),
      'invalid_insert_payload',
      '1000',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: { a: 1 }, update_body: {} }, OPTS),
      'invalid_insert_payload',
      'update_body must not be empty',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: { a: 1 }, update_body: [1] }, OPTS),
      'invalid_insert_payload',
      'update_body must be an object',
    );
    expectError(
      () => parseInsertPayload({ table_name: 'items', insert_body: { a: 1 }, on_conflict: 5 }, OPTS),
      'invalid_request',
      '"on_conflict"',
    );
    expectError(() => parseInsertPayload({ insert_body: { a: 1 } }, OPTS), 'invalid_request', 'table_name is required');
  });

  it('keeps an own __proto__ key as data when copying', () => {
    const body = JSON.parse('{"table_name":"items","insert_body":{"__proto__":{"x":1},"someKey":2}}') as unknown;
    const c = parseInsertPayload(body, SNAKE);
    expect(Object.getPrototypeOf(c.rows[0])).toBe(Object.prototype);
    expect(Object.keys(c.rows[0])).toEqual(['__proto__', 'some_key']);
  });
});

describe('parseUpdatePayload', () => {
  const where = [{ operator: 'eq', column: 'id', value: 1 }];

  it('parses set, conditions, returning, strip_nulls and post-processing', () => {
    expect(
      parseUpdatePayload(
        {
          table_name: 'items',
          update_body: { qtyLeft: 0 },
          conditions: where,
          columns: 'id',
          strip_nulls: true,
          group_by: 'status',
        },
        SNAKE,
      ),
    ).toEqual({
      kind: 'update',
      table: { schema: null, name: 'items' },
      set: { qty_left: 0 },
      conditions: [{ column: 'id', op: 'eq', value: 1 }],
      returning: ['id'],
      stripNulls: true,
      postProcessing: {
        groupBy: 'status',
        timeGranularity: null,
        aggregationColumn: null,
        aggregationStrategy: null,
        aggregationDedup: false,
      },
    });
  });

  it('requires a non-empty update_body object', () => {
    expectError(
      () => parseUpdatePayload({ table_name: 'items', conditions: where }, OPTS),
      'invalid_update_payload',
      'update_body',
    );
    expectError(
      () => parseUpdatePayload({ table_name: 'items', update_body: {}, conditions: where }, OPTS),
      'invalid_update_payload',
      'empty',
    );
    expectError(
      () => parseUpdatePayload({ table_name: 'items', update_body: [1], conditions: where }, OPTS),
      'invalid_update_payload',
      'object',
    );
    expectError(
      () => parseUpdatePayload({ table_name: 'items', update_body: 'x', conditions: where }, OPTS),
      'invalid_update_payload',
      'object',
    );
  });

  it('refuses full-table updates', () => {
    for (const conditions of [undefined, [], [{}]]) {
      expectError(
        () => parseUpdatePayload({ table_name: 'items', update_body: { qty: 0 }, conditions }, OPTS),
        'invalid_fetch_condition',
        'at least one condition',
      );
    }
  });
});

describe('parseDeletePayload', () => {
  it('resource_id → eq on id (string or number kept as given)', () => {
    expect(parseDeletePayload({ table_name: 'items', resource_id: '42', columns: '*' }, OPTS)).toEqual({
      kind: 'delete',
      table: { schema: null, name: 'items' },
      conditions: [{ column: 'id', op: 'eq', value: '42' }],
      resourceId: '42',
      returning: null,
    });
    expect(parseDeletePayload({ table_name: 'items', resource_id: 7 }, OPTS)).toMatchObject({
      conditions: [{ column: 'id', op: 'eq', value: 7 }],
      resourceId: '7',
    });
  });

  it('uses resource_id_column and ANDs resource_id with conditions', () => {
    const c = parseDeletePayload(
      {
        table_name: 'items',
        resource_id: 'x',
        resource_id_column: 'itemUuid',
        conditions: [{ operator: 'gt', column: 'qty', value: 3 }],
        columns: 'id',
      },
      SNAKE,
    );
    expect(c.conditions).toEqual([
      { column: 'item_uuid', op: 'eq', value: 'x' },
      { column: 'qty', op: 'gt', value: 3 },
    ]);
    expect(c.returning).toEqual(['id']);
  });

  it('accepts conditions-only deletes', () => {
    const c = parseDeletePayload(
      { table_name: 'items', conditions: [{ operator: 'like', column: 'name', value: 'cf_%' }] },
      OPTS,
    );
    expect(c).toMatchObject({ resourceId: null, conditions: [{ column: 'name', op: 'like', value: 'cf_%' }] });
  });

  it('refuses deletes without a target', () => {
    for (const extra of [{}, { conditions: [] }, { conditions: [{}] }, { resource_id: null }]) {
      const e = expectError(
        () => parseDeletePayload({ table_name: 'items', ...extra }, OPTS),
        'invalid_delete_payload',
        'delete needs resource_id or at least one condition',
      );
      expect(e.message).toBe('delete needs resource_id or at least one condition');
    }
    expectError(
      () => parseDeletePayload({ table_name: 'items', resource_id: ' ' }, OPTS),
      'invalid_delete_payload',
      'resource_id',
    );
    expectError(
      () => parseDeletePayload({ table_name: 'items', resource_id: true }, OPTS),
      'invalid_request',
      '"resource_id"',
    );
    expectError(
      () => parseDeletePayload({ table_name: 'items', resource_id: 1, resource_id_column: 3 }, OPTS),
      'invalid_delete_resource_id_column',
      'resource_id_column',
    );
    expectError(
      () => parseDeletePayload({ table_name: 'items', resource_id: 1, resource_id_column: 'id;x' }, OPTS),
      'invalid_identifier',
      'resource_id_column',
    );
  });
});

describe('parseFetchPayload: fields that end up unused are still checked (issue 16: no silent acceptance)', () => {
  it('a sort direction without a field is still checked', () => {
    expect(fetch({ sort_by: { field: '', direction: 'DESC' } }).sort).toBeNull();
    expectError(() => fetch({ sort_by: { field: '', direction: 'sideways' } }), 'invalid_sort', 'direction');
    expectError(() => fetch({ sort_by: { direction: 5 } }), 'invalid_sort', 'direction');
  });

  it('post-processing field types are checked without group_by (their values only with it)', () => {
    expect(fetch({ time_granularity: 'week', aggregation_dedup: 'yes' }).postProcessing).toBeNull();
    expectError(() => fetch({ time_granularity: 5 }), 'invalid_request', '"time_granularity"');
    expectError(() => fetch({ aggregation_column: [] }), 'invalid_request', '"aggregation_column"');
    expectError(() => fetch({ aggregation_strategy: {} }), 'invalid_request', '"aggregation_strategy"');
    expectError(() => fetch({ aggregation_dedup: 'maybe' }), 'invalid_request', '"aggregation_dedup"');
  });

  it('view_name is type-checked even when table_name wins', () => {
    expect(fetch({ view_name: 'other' }).table.name).toBe('items');
    expectError(() => fetch({ view_name: 5 }), 'invalid_request', '"view_name"');
  });
});
