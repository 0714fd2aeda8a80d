import { AthenaError } from '@athena/common';
import { compileCqlInsert, compileCqlSelect, compileCqlUpdate, isCollectionType } from './cql-compiler';
import { eventsTable, usersTable } from './cql-compiler.fixture';
import { parseFetchPayload, parseInsertPayload, parseUpdatePayload } from './parse';

const popts = { camelToSnake: false, maxRows: 100 };
const strict = { allowFiltering: false };
const P = [
  { eq_column: 'tenant', eq_value: 'acme' },
  { eq_column: 'day', eq_value: '2024-01-01' },
];

function refusal(fn: () => unknown): AthenaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AthenaError);
    return e as AthenaError;
  }
  throw new Error('expected a refusal');
}

describe('compileCqlSelect', () => {
  it('binds every value and quotes every identifier', () => {
    const q = parseFetchPayload(
      {
        table_name: 'events',
        columns: ['id'],
        conditions: [...P, { column: 'ts', operator: 'lt', value: "x'); DROP TABLE t; --" }],
      },
      popts,
    );
    const s = compileCqlSelect(q, eventsTable(), strict);
    expect(s.text).toBe('SELECT "id" FROM "app"."events" WHERE "tenant" = ? AND "day" = ? AND "ts" < ?');
    expect(s.values).toEqual(['acme', '2024-01-01', "x'); DROP TABLE t; --"]);
  });

  it('uses the request limit as the page size and the cap when there is none', () => {
    expect(
      compileCqlSelect(
        parseFetchPayload({ table_name: 'events', conditions: P, limit: 7 }, popts),
        eventsTable(),
        strict,
      ).fetchSize,
    ).toBe(7);
    expect(
      compileCqlSelect(parseFetchPayload({ table_name: 'events', conditions: P }, popts), eventsTable(), strict)
        .fetchSize,
    ).toBe(100);
    expect(
      compileCqlSelect(
        parseFetchPayload({ table_name: 'events', conditions: P, limit: 0 }, popts),
        eventsTable(),
        strict,
      ).empty,
    ).toBe(true);
  });

  it('never adds ALLOW FILTERING unless the client allows it', () => {
    const q = parseFetchPayload(
      { table_name: 'events', conditions: [...P, { eq_column: 'note', eq_value: 'x' }] },
      popts,
    );
    const e = refusal(() => compileCqlSelect(q, eventsTable(), strict));
    expect(e.status).toBe(422);
    expect(e.code).toBe('unsupported_by_backend');
    expect(e.message).toContain('"note" is not part of the primary key and has no index');
    expect(e.detail).toContain('allow_filtering: true');
    expect(compileCqlSelect(q, eventsTable(), { allowFiltering: true }).text).toMatch(/ ALLOW FILTERING$/);
  });

  it('lists every reason when several apply', () => {
    const q = parseFetchPayload(
      {
        table_name: 'events',
        conditions: [
          { eq_column: 'tenant', eq_value: 'a' },
          { eq_column: 'note', eq_value: 'x' },
        ],
      },
      popts,
    );
    const e = refusal(() => compileCqlSelect(q, eventsTable(), strict));
    expect(e.detail).toContain('missing "day"');
    expect(e.detail).toContain('"note"');
  });

  it('refuses like/or/not even when filtering is allowed', () => {
    for (const cond of [
      { column: 'note', operator: 'like', value: 'a%' },
      { operator: 'or', value: 'value.eq.1,value.eq.2' },
      { operator: 'not', value: 'value.eq.1' },
    ]) {
      const q = parseFetchPayload({ table_name: 'events', conditions: [...P, cond] }, popts);
      expect(refusal(() => compileCqlSelect(q, eventsTable(), { allowFiltering: true })).code).toBe(
        'unsupported_by_backend',
      );
    }
  });

  it('binds blobs as bytes from hex or base64', () => {
    const hex = compileCqlSelect(
      parseFetchPayload(
        { table_name: 'events', conditions: [...P, { eq_column: 'payload', eq_value: '0xcafe' }] },
        popts,
      ),
      eventsTable(),
      { allowFiltering: true },
    );
    expect(hex.values[2]).toEqual(Buffer.from([0xca, 0xfe]));
    const b64 = compileCqlSelect(
      parseFetchPayload(
        { table_name: 'events', conditions: [...P, { eq_column: 'payload', eq_value: 'yv4=' }] },
        popts,
      ),
      eventsTable(),
      { allowFiltering: true },
    );
    expect(b64.values[2]).toEqual(Buffer.from([0xca, 0xfe]));
  });

  it('contains: one CONTAINS per element on sets/lists, one entry test per key on maps; wrong shapes are 400', () => {
    const set = compileCqlSelect(
      parseFetchPayload(
        { table_name: 'events', conditions: [...P, { column: 'tags', operator: 'contains', value: ['a', 'b'] }] },
        popts,
      ),
      eventsTable(),
      strict,
    );
    expect(set.text).toContain('"tags" CONTAINS ? AND "tags" CONTAINS ?');
    const map = compileCqlSelect(
      parseFetchPayload(
        { table_name: 'events', conditions: [...P, { column: 'meta', operator: 'contains', value: { a: '1' } }] },
        popts,
      ),
      eventsTable(),
      { allowFiltering: true },
    );
    expect(map.text).toContain('"meta"[?] = ?');
    expect(map.values.slice(2)).toEqual(['a', '1']);
    const bad = parseFetchPayload(
      { table_name: 'events', conditions: [...P, { column: 'meta', operator: 'contains', value: ['a'] }] },
      popts,
    );
    expect(refusal(() => compileCqlSelect(bad, eventsTable(), { allowFiltering: true })).status).toBe(400);
  });

  it('unknown columns are 400 with the available columns, wherever they appear', () => {
    for (const body of [
      { columns: 'nope' },
      { conditions: [...P, { eq_column: 'nope', eq_value: 1 }] },
      { conditions: P, sort_by: { field: 'nope' } },
    ]) {
      const e = refusal(() =>
        compileCqlSelect(parseFetchPayload({ table_name: 'events', ...body }, popts), eventsTable(), strict),
      );
      expect(e.code).toBe('unknown_column');
      expect(e.extra.available_columns).toContain('tenant');
    }
  });
});

describe('compileCqlInsert / compileCqlUpdate', () => {
  it('answers the rows as written, projected on the requested columns', () => {
    const c = compileCqlInsert(
      parseInsertPayload(
        { table_name: 'users', insert_body: [{ id: 'a', name: 'n', age: 1 }], columns: 'id,email' },
        popts,
      ),
      usersTable(),
      strict,
    );
    expect(c.rows).toEqual([{ id: 'a', email: null }]);
    expect(c.statements[0]).toEqual({
      text: 'INSERT INTO "app"."users" ("id", "name", "age") VALUES (?, ?, ?)',
      values: ['a', 'n', 1],
    });
  });

  it('if_not_exists within one partition is one conditional batch', () => {
    const c = compileCqlInsert(
      parseInsertPayload(
        {
          table_name: 'events',
          if_not_exists: true,
          insert_body: [
            { tenant: 't', day: 'd', ts: '1', id: 'x' },
            { tenant: 't', day: 'd', ts: '2', id: 'x' },
          ],
        },
        popts,
      ),
      eventsTable(),
      strict,
    );
    expect(c.conditional).toBe(true);
    expect(c.statements.every((s) => s.text.endsWith(' IF NOT EXISTS'))).toBe(true);
  });

  it('update is conditional on the row existing (no upsert) and reads the row back by its key', () => {
    const u = compileCqlUpdate(
      parseUpdatePayload(
        { table_name: 'users', update_body: { name: 'x' }, conditions: [{ eq_column: 'id', eq_value: 'k' }] },
        popts,
      ),
      usersTable(),
      strict,
    );
    expect(u.statement.text).toBe('UPDATE "app"."users" SET "name" = ? WHERE "id" = ? IF EXISTS');
    expect(u.statement.values).toEqual(['x', 'k']);
    expect(u.read).toEqual({ text: 'SELECT * FROM "app"."users" WHERE "id" = ?', values: ['k'] });
  });
});

describe('isCollectionType', () => {
  it('sees through frozen<>', () => {
    expect(isCollectionType('frozen<list<int>>')).toBe(true);
    expect(isCollectionType('map<text, int>')).toBe(true);
    expect(isCollectionType('text')).toBe(false);
    expect(isCollectionType('frozen<tuple<int, int>>')).toBe(false);
  });
});

describe('parse: page_state and if_not_exists', () => {
  it('carries a hex page_state only when sent; refuses anything else', () => {
    expect(parseFetchPayload({ table_name: 't' }, popts)).not.toHaveProperty('pageState');
    expect(parseFetchPayload({ table_name: 't', page_state: '00ff' }, popts).pageState).toBe('00ff');
    for (const bad of ['zz', 'a'.repeat(8193), 'ab cd']) {
      expect(refusal(() => parseFetchPayload({ table_name: 't', page_state: bad }, popts)).code).toBe(
        'invalid_page_state',
      );
    }
    expect(refusal(() => parseFetchPayload({ table_name: 't', page_state: 12 }, popts)).code).toBe('invalid_request');
  });

  it('if_not_exists is set only when true', () => {
    expect(parseInsertPayload({ table_name: 't', insert_body: {} }, popts)).not.toHaveProperty('ifNotExists');
    expect(parseInsertPayload({ table_name: 't', insert_body: {}, if_not_exists: false }, popts)).not.toHaveProperty(
      'ifNotExists',
    );
    expect(parseInsertPayload({ table_name: 't', insert_body: {}, if_not_exists: true }, popts).ifNotExists).toBe(true);
  });
});
