/**
 * Catalogue of representative payloads → parse → CQL compile, with the statement text and bound values stored
 * in `__snapshots__/`. Refusals are snapshotted too (status, code, message), so a change to what CQL accepts
 * shows up in review as well as a change to what it generates.
 */
import { AthenaError } from '@athena/common';
import {
  CqlCompileOptions,
  CqlTableSchema,
  compileCqlDelete,
  compileCqlInsert,
  compileCqlSelect,
  compileCqlUpdate,
} from './cql-compiler';
import { eventsTable, usersTable } from './cql-compiler.fixture';
import {
  ParseOptions,
  parseDataQuery,
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
} from './parse';

type Kind = 'fetch' | 'data' | 'insert' | 'update' | 'delete';
interface Case {
  kind: Kind;
  payload: unknown;
  compile?: Partial<CqlCompileOptions>;
  table?: CqlTableSchema;
}

const U = '5d845b27-8d06-40a0-9e76-08de9d9f3c1f';
const P = [
  { eq_column: 'tenant', eq_value: 'acme' },
  { eq_column: 'day', eq_value: '2024-01-01' },
];
const users = usersTable();

const CASES: Record<string, Case> = {
  'fetch: no conditions (paged scan, capped page size)': { kind: 'fetch', payload: { table_name: 'events' } },
  'fetch: full partition key, columns': {
    kind: 'fetch',
    payload: { table_name: 'events', columns: 'id,value', conditions: P, limit: 20 },
  },
  'fetch: keyspace-qualified table': { kind: 'fetch', payload: { table_name: 'app.events', conditions: P, limit: 1 } },
  'fetch: IN on a partition key column': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [
        { eq_column: 'tenant', eq_value: 'acme' },
        { column: 'day', operator: 'in', value: ['2024-01-01', '2024-01-02'] },
      ],
    },
  },
  'fetch: eq on the first clustering column, range on the second': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [
        ...P,
        { column: 'ts', operator: 'eq', value: '2024-01-01T10:00:00Z' },
        { column: 'id', operator: 'gt', value: U },
      ],
    },
  },
  'fetch: lower and upper bound on the first clustering column': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [
        ...P,
        { column: 'ts', operator: 'gte', value: '2024-01-01T00:00:00Z' },
        { column: 'ts', operator: 'lt', value: '2024-01-02T00:00:00Z' },
      ],
    },
  },
  'fetch: IN on a clustering column': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [...P, { column: 'ts', operator: 'in', value: ['2024-01-01T10:00:00Z'] }],
    },
  },
  'fetch: sort along the clustering order (desc)': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, sort_by: { field: 'ts', direction: 'desc' } },
  },
  'fetch: sort reversed (asc)': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, sortBy: { column: 'ts' } },
  },
  'fetch: eq on a legacy-indexed column': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ eq_column: 'email', eq_value: 'a@b.c' }] },
    table: users,
  },
  'fetch: range on an SAI-indexed column': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [...P, { column: 'score', operator: 'gt', value: 0.5 }] },
  },
  'fetch: contains on an indexed set': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [...P, { column: 'tags', operator: 'contains', value: ['red', 'blue'] }],
    },
  },
  'fetch: blob equality binds bytes': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [...P, { column: 'payload', operator: 'eq', value: '0xcafe' }] },
    compile: { allowFiltering: true },
  },
  'fetch: in [] is empty without a query': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'id', operator: 'in', value: [] }] },
    table: users,
  },
  'fetch: page_state is carried, limit is the page size': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, limit: 10, page_state: '0a0b0c' },
  },
  'fetch: allow_filtering on a non-key column': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [...P, { eq_column: 'note', eq_value: 'x' }] },
    compile: { allowFiltering: true },
  },
  'fetch: allow_filtering on a partial partition key': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [{ eq_column: 'tenant', eq_value: 'acme' }] },
    compile: { allowFiltering: true },
  },
  'fetch: allow_filtering on a map entry': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [...P, { column: 'meta', operator: 'contains', value: { src: 'web' } }],
    },
    compile: { allowFiltering: true },
  },
  'data: GET /data with eq, columns, page_state': {
    kind: 'data',
    payload: { view: 'users', eq_column: 'id', eq_value: U, columns: 'id,name', limit: '5', page_state: 'ff' },
    table: users,
  },
  'refused: non-key column without an index': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [...P, { eq_column: 'note', eq_value: 'x' }] },
  },
  'refused: like': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'name', operator: 'like', value: 'a%' }] },
    table: users,
  },
  'refused: ilike (even with allow_filtering)': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'name', operator: 'ilike', value: 'a%' }] },
    table: users,
    compile: { allowFiltering: true },
  },
  'refused: or': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ operator: 'or', value: 'age.eq.1,age.eq.2' }] },
    table: users,
  },
  'refused: not': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ operator: 'not', value: 'age.eq.1' }] },
    table: users,
  },
  'refused: neq': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'id', operator: 'neq', value: U }] },
    table: users,
  },
  'refused: eq null': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'id', operator: 'eq', value: null }] },
    table: users,
  },
  'refused: is': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'name', operator: 'is', value: null }] },
    table: users,
  },
  'refused: containedBy': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'tags', operator: 'containedBy', value: ['a'] }] },
    table: users,
  },
  'refused: contains on a non-collection': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'name', operator: 'contains', value: ['a'] }] },
    table: users,
  },
  'refused: range on the partition key': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'id', operator: 'gt', value: U }] },
    table: users,
  },
  'refused: partial partition key': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [{ eq_column: 'tenant', eq_value: 'acme' }] },
  },
  'refused: clustering gap': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [...P, { eq_column: 'id', eq_value: U }] },
  },
  'refused: restriction after a clustering range': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [
        ...P,
        { column: 'ts', operator: 'gt', value: '2024-01-01T00:00:00Z' },
        { eq_column: 'id', eq_value: U },
      ],
    },
  },
  'refused: clustering without partition key': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: [{ column: 'ts', operator: 'gt', value: '2024-01-01T00:00:00Z' }] },
  },
  'refused: range on a legacy index': {
    kind: 'fetch',
    payload: { table_name: 'users', conditions: [{ column: 'email', operator: 'gt', value: 'a' }] },
    table: users,
  },
  'refused: sort on a non-clustering column': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, sort_by: { field: 'value' } },
  },
  'refused: sort on the second clustering column': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, sort_by: { field: 'id' } },
  },
  'refused: sort with IN on the partition key': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [
        { eq_column: 'tenant', eq_value: 'acme' },
        { column: 'day', operator: 'in', value: ['2024-01-01'] },
      ],
      sort_by: { field: 'ts' },
    },
  },
  'refused: offset': {
    kind: 'fetch',
    payload: { table_name: 'events', conditions: P, current_page: 2, page_size: 10 },
  },
  'refused: unknown column': { kind: 'fetch', payload: { table_name: 'events', columns: 'nope' } },
  'refused: conflicting eq and range on one column': {
    kind: 'fetch',
    payload: {
      table_name: 'events',
      conditions: [...P, { eq_column: 'ts', eq_value: 'x' }, { column: 'ts', operator: 'gt', value: 'y' }],
    },
  },
  'insert: one row': {
    kind: 'insert',
    payload: {
      table_name: 'events',
      insert_body: {
        tenant: 'acme',
        day: '2024-01-01',
        ts: '2024-01-01T10:00:00Z',
        id: U,
        tags: ['a'],
        meta: { k: 'v' },
        payload: 'yv4=',
      },
    },
  },
  'insert: batch of rows with different columns, returning columns': {
    kind: 'insert',
    payload: {
      table_name: 'users',
      insert_body: [
        { id: U, name: 'a' },
        { id: U, email: 'b@c.d', age: 3 },
      ],
      columns: 'id,name',
    },
    table: users,
  },
  'insert: if_not_exists': {
    kind: 'insert',
    payload: { table_name: 'users', insert_body: { id: U, name: 'a' }, if_not_exists: true },
    table: users,
  },
  'insert: on_conflict on the primary key is a plain insert': {
    kind: 'insert',
    payload: { table_name: 'users', insert_body: { id: U, name: 'a' }, on_conflict: 'id' },
    table: users,
  },
  'refused insert: missing primary key column': {
    kind: 'insert',
    payload: {
      table_name: 'events',
      insert_body: [{ tenant: 'acme', day: '2024-01-01', ts: 'x', id: U }, { tenant: 'acme' }],
    },
  },
  'refused insert: update_body': {
    kind: 'insert',
    payload: { table_name: 'users', insert_body: { id: U }, update_body: { name: 'b' } },
    table: users,
  },
  'refused insert: on_conflict on another column': {
    kind: 'insert',
    payload: { table_name: 'users', insert_body: { id: U }, on_conflict: 'email' },
    table: users,
  },
  'refused insert: if_not_exists across partitions': {
    kind: 'insert',
    payload: {
      table_name: 'users',
      insert_body: [{ id: U }, { id: '00000000-0000-4000-8000-000000000000' }],
      if_not_exists: true,
    },
    table: users,
  },
  'update: by full primary key': {
    kind: 'update',
    payload: {
      table_name: 'events',
      update_body: { kind: 'x', value: 2 },
      conditions: [...P, { eq_column: 'ts', eq_value: '2024-01-01T10:00:00Z' }, { eq_column: 'id', eq_value: U }],
      columns: 'id,kind',
    },
  },
  'refused update: partial key': {
    kind: 'update',
    payload: { table_name: 'events', update_body: { kind: 'x' }, conditions: P },
  },
  'refused update: non-key condition': {
    kind: 'update',
    payload: {
      table_name: 'users',
      update_body: { age: 1 },
      conditions: [
        { eq_column: 'id', eq_value: U },
        { eq_column: 'name', eq_value: 'a' },
      ],
    },
    table: users,
  },
  'refused update: range on a key': {
    kind: 'update',
    payload: { table_name: 'users', update_body: { age: 1 }, conditions: [{ column: 'id', operator: 'gt', value: U }] },
    table: users,
  },
  'refused update: setting a key column': {
    kind: 'update',
    payload: { table_name: 'users', update_body: { id: U }, conditions: [{ eq_column: 'id', eq_value: U }] },
    table: users,
  },
  'delete: by resource_id': {
    kind: 'delete',
    payload: { table_name: 'users', resource_id: U, columns: 'id,name' },
    table: users,
  },
  'delete: by full primary key': {
    kind: 'delete',
    payload: {
      table_name: 'events',
      conditions: [...P, { eq_column: 'ts', eq_value: '2024-01-01T10:00:00Z' }, { eq_column: 'id', eq_value: U }],
    },
  },
  'refused delete: partial key': { kind: 'delete', payload: { table_name: 'events', conditions: P } },
};

function run(c: Case): unknown {
  const popts: ParseOptions = { camelToSnake: false, maxRows: 1000 };
  const copts: CqlCompileOptions = { allowFiltering: false, ...c.compile };
  const t = c.table ?? eventsTable();
  try {
    switch (c.kind) {
      case 'fetch': {
        const q = parseFetchPayload(c.payload, popts);
        return { ...compileCqlSelect(q, t, copts), pageState: q.pageState ?? null };
      }
      case 'data': {
        const q = parseDataQuery(c.payload as Record<string, string>, popts);
        return { ...compileCqlSelect(q, t, copts), pageState: q.pageState ?? null };
      }
      case 'insert':
        return compileCqlInsert(parseInsertPayload(c.payload, popts), t, copts);
      case 'update':
        return compileCqlUpdate(parseUpdatePayload(c.payload, popts), t, copts);
      case 'delete':
        return compileCqlDelete(parseDeletePayload(c.payload, popts), t, copts);
    }
  } catch (e) {
    if (!(e instanceof AthenaError)) throw e;
    return { refused: { status: e.status, code: e.code, message: e.message, detail: e.detail } };
  }
}

function placeholders(text: string): number {
  return (text.match(/\?/g) ?? []).length;
}

describe('CQL compiler snapshot catalogue', () => {
  it('has at least 50 cases, a third of them refusals', () => {
    const names = Object.keys(CASES);
    expect(names.length).toBeGreaterThanOrEqual(50);
    expect(names.filter((n) => n.startsWith('refused')).length).toBeGreaterThanOrEqual(names.length / 3);
  });

  it.each(Object.entries(CASES))('%s', (name, c) => {
    const out = run(c) as Record<string, unknown>;
    if (name.startsWith('refused')) expect(out.refused).toBeDefined();
    else expect(out.refused).toBeUndefined();
    // Every ? has a value and vice versa.
    const stmts: Array<{ text: string; values: unknown[] }> = [];
    if (typeof out.text === 'string') stmts.push(out as unknown as { text: string; values: unknown[] });
    for (const k of ['statement', 'read']) if (out[k]) stmts.push(out[k] as { text: string; values: unknown[] });
    if (Array.isArray(out.statements)) stmts.push(...(out.statements as Array<{ text: string; values: unknown[] }>));
    for (const s of stmts) expect(placeholders(s.text)).toBe(s.values.length);
    expect(out).toMatchSnapshot();
  });
});
