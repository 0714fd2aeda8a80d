import { caught } from '../../common/src/testing';
import type { DeleteCommand, FetchQuery, InsertCommand, UpdateCommand } from './ast';
import { ParseOptions, parseFetchPayload, parseInsertPayload } from './parse';
import {
  CompileOptions,
  MAX_BIND_PARAMS,
  compileDelete,
  compileInsert,
  compileSelect,
  compileUpdate,
  isUuidString,
} from './sql-compiler';
import { itemsSchema, logsSchema } from './sql-compiler.fixture';

const P: ParseOptions = { camelToSnake: false, maxRows: 1000 };
const C: CompileOptions = { autoCastUuid: true };

const select = (body: Record<string, unknown>) =>
  compileSelect(parseFetchPayload({ table_name: 'items', ...body }, P), itemsSchema(), C);
const insert = (body: Record<string, unknown>, schema = itemsSchema()) =>
  compileInsert(parseInsertPayload({ table_name: 'items', ...body }, P), schema, C);

describe('unknown columns', () => {
  const cases: Array<[string, () => unknown]> = [
    ['projection', () => select({ columns: 'id,nope' })],
    ['condition', () => select({ conditions: [{ eq_column: 'nope', eq_value: 1 }] })],
    ['sort', () => select({ sort_by: { field: 'nope' } })],
    ['group_by', () => select({ group_by: 'nope' })],
    ['aggregation_column', () => select({ group_by: 'status', aggregation_column: 'nope' })],
    ['insert key', () => insert({ insert_body: [{ name: 'a' }, { nope: 1 }] })],
    ['returning', () => insert({ insert_body: { name: 'a' }, columns: 'nope' })],
    ['on_conflict', () => insert({ insert_body: { name: 'a' }, on_conflict: 'nope' })],
    ['update_body on insert', () => insert({ insert_body: { name: 'a' }, update_body: { nope: 1 } })],
  ];
  it.each(cases)('%s → 400 unknown_column with the available columns', (_what, fn) => {
    const e = caught(fn);
    expect([e.status, e.code, e.message]).toEqual([
      400,
      'unknown_column',
      'Unknown column "nope" on table "public.items"',
    ]);
    expect(e.extra.available_columns).toEqual(Array.from(itemsSchema().columns.keys()));
    expect(e.detail).toContain('Available columns: id, name, qty');
  });

  it('covers update SET, update/delete conditions and RETURNING', () => {
    const where = [{ column: 'id', op: 'eq' as const, value: 1 }];
    const upd = (over: Partial<UpdateCommand>): UpdateCommand => ({
      kind: 'update',
      table: { schema: null, name: 'items' },
      set: { name: 'x' },
      conditions: where,
      returning: null,
      stripNulls: false,
      postProcessing: null,
      ...over,
    });
    expect(caught(() => compileUpdate(upd({ set: { nope: 1 } }), itemsSchema(), C)).code).toBe('unknown_column');
    expect(caught(() => compileUpdate(upd({ returning: ['nope'] }), itemsSchema(), C)).code).toBe('unknown_column');
    const del: DeleteCommand = {
      kind: 'delete',
      table: { schema: null, name: 'items' },
      conditions: [{ column: 'nope', op: 'eq', value: 1 }],
      resourceId: null,
      returning: null,
    };
    expect(caught(() => compileDelete(del, itemsSchema(), C)).code).toBe('unknown_column');
  });
});

describe('refusals that survive a hand-built AST', () => {
  it('update and delete without conditions', () => {
    const u: UpdateCommand = {
      kind: 'update',
      table: { schema: null, name: 'items' },
      set: { name: 'x' },
      conditions: [],
      returning: null,
      stripNulls: false,
      postProcessing: null,
    };
    expect([caught(() => compileUpdate(u, itemsSchema(), C)).code]).toEqual(['invalid_fetch_condition']);
    const d: DeleteCommand = {
      kind: 'delete',
      table: { schema: null, name: 'items' },
      conditions: [],
      resourceId: null,
      returning: null,
    };
    expect(caught(() => compileDelete(d, itemsSchema(), C)).code).toBe('invalid_delete_payload');
    const empty = { ...u, set: {}, conditions: [{ column: 'id', op: 'eq' as const, value: 1 }] };
    expect(caught(() => compileUpdate(empty, itemsSchema(), C)).code).toBe('invalid_update_payload');
  });

  it('identifiers are quoted with embedded quotes doubled even if validation was bypassed', () => {
    const q: FetchQuery = {
      kind: 'fetch',
      table: { schema: null, name: 'items' },
      columns: null,
      conditions: [],
      sort: null,
      limit: 1,
      offset: 0,
      probeTruncation: false,
      stripNulls: false,
      postProcessing: null,
    };
    const schema = itemsSchema();
    schema.columns.set('a"b', { name: 'a"b', type: 'text', nullable: true, isArray: false });
    const s = compileSelect({ ...q, columns: ['a"b'], sort: { column: 'a"b', direction: 'asc' } }, schema, C);
    expect(s.text).toBe('SELECT "a""b" FROM "public"."items" ORDER BY "a""b" ASC LIMIT $1');
  });
});

describe('condition compilation details', () => {
  it('contains needs an array value on array columns and an array/json column type', () => {
    expect(caught(() => select({ conditions: [{ operator: 'contains', column: 'tags', value: { a: 1 } }] })).code).toBe(
      'invalid_condition_value',
    );
    const e = caught(() => select({ conditions: [{ operator: 'contains', column: 'name', value: ['a'] }] }));
    expect([e.code, e.detail]).toEqual([
      'invalid_condition_value',
      '"contains" needs an array or json/jsonb column; "name" is text',
    ]);
  });

  it('values are always bound, never interpolated', () => {
    const evil = "x'; DROP TABLE items; --";
    const s = select({
      conditions: [
        { eq_column: 'name', eq_value: evil },
        { operator: 'like', column: 'status', value: evil },
      ],
    });
    expect(s.text).not.toContain('DROP');
    expect(s.values).toEqual([evil, evil, 1001]);
  });

  it('refuses a LIKE/ILIKE pattern ending in an unescaped backslash; an escaped one is bound as is', () => {
    for (const operator of ['like', 'ilike']) {
      expect(caught(() => select({ conditions: [{ operator, column: 'name', value: 'a\\' }] })).code).toBe(
        'invalid_like_pattern',
      );
      expect(caught(() => select({ conditions: [{ operator, column: 'name', value: '\\\\\\' }] })).code).toBe(
        'invalid_like_pattern',
      );
      expect(select({ conditions: [{ operator, column: 'name', value: 'a\\\\' }] }).values[0]).toBe('a\\\\');
    }
  });

  it('recognises the UUID spellings PostgreSQL accepts', () => {
    for (const ok of [
      '5d845b27-8d06-40a0-9e76-08de9d9f3c1f',
      '5D845B27-8D06-40A0-9E76-08DE9D9F3C1F',
      '5d845b278d0640a09e7608de9d9f3c1f',
      '{5d845b27-8d06-40a0-9e76-08de9d9f3c1f}',
    ]) {
      expect(isUuidString(ok)).toBe(true);
    }
    for (const bad of [
      '',
      '7',
      'not-a-uuid',
      '5d845b27-8d06-40a0-9e76-08de9d9f3c1',
      '{5d845b27-8d06-40a0-9e76-08de9d9f3c1f',
      42,
      null,
    ]) {
      expect(isUuidString(bad)).toBe(false);
    }
  });
});

describe('insert compilation details', () => {
  it('upsert without a conflict target on a table without primary key → 400', () => {
    const c = parseInsertPayload({ table_name: 'audit.logs', insert_body: { msg: 'a' }, update_body: { msg: 'b' } }, P);
    const e = caught(() => compileInsert(c, logsSchema(), C));
    expect([e.code, e.detail]).toEqual([
      'invalid_insert_payload',
      'Table "audit.logs" has no primary key; pass on_conflict with the unique column(s) to upsert on',
    ]);
    const ok = compileInsert({ ...c, onConflict: ['msg'] }, logsSchema(), C);
    expect(ok.text).toBe(
      'INSERT INTO "audit"."logs" ("msg") VALUES ($1) ON CONFLICT ("msg") DO UPDATE SET "msg" = $2 RETURNING *',
    );
  });

  it('keeps the bound parameter count within PostgreSQL limits', () => {
    const schema = itemsSchema();
    const cols = Array.from({ length: 70 }, (_, i) => `c${i}`);
    for (const c of cols) schema.columns.set(c, { name: c, type: 'int4', nullable: true, isArray: false });
    const row = Object.fromEntries(cols.map((c) => [c, 1]));
    const big: InsertCommand = {
      kind: 'insert',
      table: { schema: null, name: 'items' },
      rows: Array.from({ length: 1000 }, () => row),
      single: false,
      onConflict: null,
      updateBody: null,
      returning: null,
    };
    const e = caught(() => compileInsert(big, schema, C));
    expect([e.status, e.code]).toEqual([400, 'insert_too_large']);
    expect(e.detail).toContain(String(MAX_BIND_PARAMS));
    const fits = compileInsert({ ...big, rows: big.rows.slice(0, 936) }, schema, C);
    expect(fits.values).toHaveLength(936 * 70);
  });

  it('a row missing a key named like an Object.prototype member gets DEFAULT, not the inherited value', () => {
    const schema = itemsSchema();
    schema.columns.set('constructor', { name: 'constructor', type: 'text', nullable: true, isArray: false });
    const c: InsertCommand = {
      kind: 'insert',
      table: { schema: null, name: 'items' },
      rows: [{ constructor: 'x' } as never, { name: 'n' }],
      single: false,
      onConflict: null,
      updateBody: null,
      returning: null,
    };
    const s = compileInsert(c, schema, C);
    expect(s.text).toBe(
      'INSERT INTO "public"."items" ("constructor","name") VALUES ($1,DEFAULT),(DEFAULT,$2) RETURNING *',
    );
    expect(s.values).toEqual(['x', 'n']);
  });
});
