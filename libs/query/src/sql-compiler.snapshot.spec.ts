/**
 * Catalogue of representative payloads → parse → compile, with the SQL text and bound values stored in
 * `__snapshots__/`. A change to any generated statement shows up as a snapshot diff in review.
 */
import type { CompiledStatement, TableSchema } from './ast';
import {
  ParseOptions,
  parseDataQuery,
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
} from './parse';
import { CompileOptions, compileDelete, compileInsert, compileSelect, compileUpdate } from './sql-compiler';
import { itemsSchema, logsSchema } from './sql-compiler.fixture';

type Kind = 'fetch' | 'data' | 'insert' | 'update' | 'delete';
interface Case {
  kind: Kind;
  payload: unknown;
  parse?: Partial<ParseOptions>;
  compile?: Partial<CompileOptions>;
  schema?: TableSchema;
}

const UUID = '5d845b27-8d06-40a0-9e76-08de9d9f3c1f';

const CASES: Record<string, Case> = {
  'fetch: SDK not() and or() PostgREST expressions': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'not', value: 'qty.in.1,2' },
        { operator: 'not', value: 'name.is.null' },
        { operator: 'or', value: 'qty.eq.1,name.ilike.*an*,price.not.is.null' },
      ],
    },
  },
  'fetch: minimal (capped, truncation probe)': { kind: 'fetch', payload: { table_name: 'items' } },
  'fetch: columns array, explicit limit below cap': {
    kind: 'fetch',
    payload: { table_name: 'items', columns: ['id', 'name'], limit: 10 },
  },
  'fetch: comma columns, limit above cap': {
    kind: 'fetch',
    payload: { table_name: 'items', columns: 'id, name', limit: 5000 },
  },
  'fetch: limit 0': { kind: 'fetch', payload: { table_name: 'items', limit: 0 } },
  'fetch: limit + offset (range)': {
    kind: 'fetch',
    payload: { table_name: 'items', columns: '*', limit: 3, offset: 1 },
  },
  'fetch: current_page/page_size': {
    kind: 'fetch',
    payload: { table_name: 'items', current_page: 3, page_size: 25, total_pages: 9 },
  },
  'fetch: schema-qualified table': { kind: 'fetch', payload: { table_name: 'public.items', limit: 1 } },
  'fetch: legacy eq shape, [{}] ignored': {
    kind: 'fetch',
    payload: { table_name: 'items', conditions: [{}, { eq_column: 'status', eq_value: 'open' }] },
  },
  'fetch: eq / neq': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'eq', column: 'qty', value: 2 },
        { operator: 'neq', column: 'name', value: 'x' },
      ],
    },
  },
  'fetch: eq null → IS NULL, neq null → IS NOT NULL': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'eq', column: 'name', value: null },
        { operator: 'neq', column: 'price', value: null },
      ],
    },
  },
  'fetch: gt gte lt lte': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'gt', column: 'qty', value: 1 },
        { operator: 'gte', column: 'qty', value: 2 },
        { operator: 'lt', column: 'qty', value: 9 },
        { operator: 'lte', column: 'created_at', value: '2024-01-01T00:00:00Z' },
      ],
    },
  },
  'fetch: like / ilike': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'like', column: 'name', value: 'cf_%' },
        { operator: 'ilike', column: 'status', value: '%OPEN%' },
      ],
    },
  },
  'fetch: is null / true / false': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'is', column: 'qty', value: null },
        { operator: 'is', column: 'active', value: true },
        { operator: 'is', column: 'active', value: false },
      ],
    },
  },
  'fetch: in': {
    kind: 'fetch',
    payload: { table_name: 'items', conditions: [{ operator: 'in', column: 'qty', value: [1, 3] }] },
  },
  'fetch: in empty → FALSE': {
    kind: 'fetch',
    payload: { table_name: 'items', conditions: [{ operator: 'in', column: 'qty', value: [] }] },
  },
  'fetch: uuid eq with a UUID compares natively': {
    kind: 'fetch',
    payload: { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: UUID }] },
  },
  'fetch: uuid eq with a non-UUID casts to text': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { eq_column: 'id', eq_value: 'not-a-uuid' },
        { operator: 'neq', column: 'owner_id', value: 42 },
      ],
    },
  },
  'fetch: uuid in with a non-UUID element casts to text': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'in', column: 'id', value: [UUID, 'legacy-7'] },
        { operator: 'in', column: 'owner_id', value: [UUID] },
      ],
    },
  },
  'fetch: uuid eq with autoCastUuid off stays native': {
    kind: 'fetch',
    payload: { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 'not-a-uuid' }] },
    compile: { autoCastUuid: false },
  },
  'fetch: contains / containedBy on a text[] column': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'contains', column: 'tags', value: ['red'] },
        { operator: 'containedBy', column: 'tags', value: ['red', 'blue'] },
      ],
    },
  },
  'fetch: contains / containedBy on json and jsonb columns': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'contains', column: 'meta', value: { a: 1, tags: ['x'] } },
        { operator: 'containedBy', column: 'settings', value: [1, 2] },
      ],
    },
  },
  'fetch: eq and in on jsonb bind JSON text': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'eq', column: 'meta', value: 'x' },
        { operator: 'in', column: 'settings', value: [1, 'a', null] },
      ],
    },
  },
  'fetch: sort asc / desc': {
    kind: 'fetch',
    payload: { table_name: 'items', sort_by: { field: 'created_at', direction: 'descending' }, limit: 5, offset: 10 },
  },
  'fetch: sortBy with column, default direction': {
    kind: 'fetch',
    payload: { table_name: 'items', sortBy: { column: 'name' } },
  },
  'fetch: camelCase toggle normalises every column': {
    kind: 'fetch',
    payload: {
      table_name: 'items',
      columns: 'id,createdAt,ownerId',
      conditions: [{ operator: 'eq', column: 'OwnerId', value: UUID }],
      sort_by: { field: 'createdAt', direction: 'asc' },
      group_by: 'createdAt',
      time_granularity: 'day',
    },
    parse: { camelToSnake: true },
  },
  'data: GET /data with eq, columns, paging and sort': {
    kind: 'data',
    payload: {
      view: 'items',
      eq_column: 'status',
      eq_value: 'open',
      columns: 'id,name',
      current_page: '2',
      page_size: '10',
      sort_by: 'qty',
      sort_direction: 'desc',
    },
  },
  'insert: single object': {
    kind: 'insert',
    payload: {
      table_name: 'items',
      insert_body: { name: 'a', qty: 1, tags: ['red', 'blue'], meta: { k: [1, 2] }, settings: [1, 2] },
      columns: '*',
    },
  },
  'insert: multi-row with missing keys → DEFAULT, returning columns': {
    kind: 'insert',
    payload: {
      table_name: 'items',
      insert_body: [{ name: 'a', qty: 1 }, { name: 'b', qty: null }, { status: 'new' }],
      columns: 'id,name',
    },
  },
  'insert: single empty object → DEFAULT VALUES': { kind: 'insert', payload: { table_name: 'items', insert_body: {} } },
  'insert: several empty objects': { kind: 'insert', payload: { table_name: 'items', insert_body: [{}, {}] } },
  'insert: upsert with update_body and on_conflict': {
    kind: 'insert',
    payload: {
      table_name: 'items',
      insert_body: { id: UUID, name: 'a' },
      update_body: { name: 'a2' },
      columns: '*',
      on_conflict: 'id',
    },
  },
  'insert: upsert with update_body on the primary key': {
    kind: 'insert',
    payload: {
      table_name: 'items',
      insert_body: { id: UUID, name: 'a', meta: { v: 1 } },
      update_body: { name: 'a2', meta: { v: 2 } },
    },
  },
  'insert: on_conflict only → merge EXCLUDED': {
    kind: 'insert',
    payload: { table_name: 'items', insert_body: [{ id: UUID, name: 'a', qty: 1 }], columns: '*', on_conflict: ['id'] },
  },
  'insert: on_conflict covering every column → DO NOTHING': {
    kind: 'insert',
    payload: { table_name: 'items', insert_body: { id: UUID, name: 'a' }, on_conflict: ['id', 'name'] },
  },
  'insert: into a schema-qualified table without primary key': {
    kind: 'insert',
    payload: {
      table_name: 'audit.logs',
      insert_body: { msg: 'hello' },
      default_to_null: true,
      count: 'exact',
      head: false,
    },
    schema: logsSchema(),
  },
  'update: conditions, jsonb value, returning': {
    kind: 'update',
    payload: {
      table_name: 'items',
      update_body: { qty: 10, meta: { a: null }, tags: ['x'] },
      conditions: [
        { operator: 'eq', column: 'id', value: UUID },
        { operator: 'gt', column: 'qty', value: 0 },
      ],
      columns: 'id,qty',
      strip_nulls: true,
    },
  },
  'update: legacy eq on a non-UUID id value': {
    kind: 'update',
    payload: { table_name: 'items', update_body: { name: null }, conditions: [{ eq_column: 'id', eq_value: '7' }] },
  },
  'delete: by resource_id': { kind: 'delete', payload: { table_name: 'items', resource_id: UUID, columns: '*' } },
  'delete: by resource_id on a custom column, number value': {
    kind: 'delete',
    payload: { table_name: 'items', resource_id: 7, resource_id_column: 'qty' },
  },
  'delete: resource_id AND conditions': {
    kind: 'delete',
    payload: {
      table_name: 'items',
      resource_id: '7',
      conditions: [{ operator: 'eq', column: 'id', value: 7 }],
      columns: 'id',
    },
  },
  'delete: conditions only': {
    kind: 'delete',
    payload: {
      table_name: 'items',
      conditions: [
        { operator: 'like', column: 'name', value: 'cf_%' },
        { operator: 'gt', column: 'qty', value: 3 },
      ],
    },
  },
};

function run(c: Case): CompiledStatement {
  const popts: ParseOptions = { camelToSnake: false, maxRows: 1000, ...c.parse };
  const copts: CompileOptions = { autoCastUuid: true, ...c.compile };
  const schema = c.schema ?? itemsSchema();
  switch (c.kind) {
    case 'fetch':
      return compileSelect(parseFetchPayload(c.payload, popts), schema, copts);
    case 'data':
      return compileSelect(parseDataQuery(c.payload as Record<string, string>, popts), schema, copts);
    case 'insert':
      return compileInsert(parseInsertPayload(c.payload, popts), schema, copts);
    case 'update':
      return compileUpdate(parseUpdatePayload(c.payload, popts), schema, copts);
    case 'delete':
      return compileDelete(parseDeletePayload(c.payload, popts), schema, copts);
  }
}

describe('SQL compiler snapshot catalogue', () => {
  it('has at least 30 cases', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const stmt = run(c);
    // Every $n in the text has a value and vice versa.
    const placeholders = new Set(Array.from(stmt.text.matchAll(/\$(\d+)/g), (m) => Number(m[1])));
    expect(placeholders.size).toBe(stmt.values.length);
    expect(stmt).toMatchSnapshot();
  });
});
