import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase } from './support/services';

const SCHEMA = `
  CREATE TABLE items (
    id bigserial PRIMARY KEY,
    uid uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE,
    qty integer,
    price numeric(10,2),
    tags text[],
    meta jsonb,
    flag boolean,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE events (id serial PRIMARY KEY, created_at timestamptz NOT NULL, kind text, value integer);
  CREATE SCHEMA other;
  CREATE TABLE other.things (id integer PRIMARY KEY, label text);
  CREATE VIEW slow_items AS SELECT id, name, pg_sleep(0.3)::text AS slept FROM items WHERE id = 1;
  INSERT INTO items (id, uid, name, qty, price, tags, meta, flag, note, created_at) VALUES
    (1, '11111111-1111-4111-8111-111111111111', 'apple',  5, 1.50, '{red,fruit}',   '{"origin":"es","grade":1}', true,  'crisp', '2024-01-01T10:00:00Z'),
    (2, '22222222-2222-4222-8222-222222222222', 'banana', 12, 0.25, '{yellow,fruit}', '{"origin":"ec"}',          false, NULL,    '2024-01-01T12:30:00Z'),
    (3, '33333333-3333-4333-8333-333333333333', 'cherry', NULL, 9.99, '{red}',        NULL,                       NULL,  NULL,    '2024-01-02T08:15:00Z'),
    (4, '44444444-4444-4444-8444-444444444444', 'Date',   7, 3.00, '{}',              '{"origin":"tn"}',          true,  'sweet', '2024-01-03T09:00:00Z');
  SELECT setval('items_id_seq', 100);
  INSERT INTO events (created_at, kind, value) VALUES
    ('2024-01-01T01:00:00Z', 'a', 1), ('2024-01-01T02:00:00Z', 'a', 2), ('2024-01-02T03:00:00Z', 'b', 3),
    ('2024-01-02T04:00:00Z', 'b', 3), ('2024-01-03T05:00:00Z', 'a', 10);
  INSERT INTO other.things VALUES (1, 'one'), (2, 'two');
`;

describe('gateway CRUD over PostgreSQL (real app, real database)', () => {
  let app: TestApp;
  let control: { uri: string; drop(): Promise<void> };
  let data: { uri: string; drop(): Promise<void> };
  let pg: Client;
  const H = { 'x-athena-client': 'main' };
  const post = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'POST', headers, json });
  const put = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'PUT', headers, json });
  const del = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'DELETE', headers, json });
  const fetchRows = async (body: Record<string, unknown>, headers: Record<string, string> = H) => {
    const r = await post('/gateway/fetch', { table_name: 'items', ...body }, headers);
    expect(r.status).toBe(200);
    return r.body.data as Array<Record<string, unknown>>;
  };
  const ids = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.id);

  beforeAll(async () => {
    control = await createTestDatabase('gw_control');
    data = await createTestDatabase('gw_data');
    pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query(SCHEMA);
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, max_rows: 50, pool: { connection_timeout_ms: 1000 } },
      postgres_clients: { main: data.uri, down: 'postgresql://athena:nope@127.0.0.1:1/nothing' },
    });
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    await data?.drop();
    await control?.drop();
  });

  describe('fetch', () => {
    it('returns every row in the envelope with count', async () => {
      const r = await post('/gateway/fetch', { table_name: 'items', sort_by: { field: 'id' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', message: 'Fetched 4 rows', count: 4 });
      expect(ids(r.body.data)).toEqual([1, 2, 3, 4]);
      expect(r.body.truncated).toBeUndefined();
      expect(r.body.data[0]).toMatchObject({
        uid: '11111111-1111-4111-8111-111111111111',
        tags: ['red', 'fruit'],
        meta: { origin: 'es', grade: 1 },
        price: '1.50',
      });
      expect(new Date(r.body.data[0].created_at).toISOString()).toBe('2024-01-01T10:00:00.000Z');
    });

    it('/gateway/data is an alias', async () => {
      const r = await post('/gateway/data', {
        table_name: 'items',
        columns: 'id',
        conditions: [{ eq_column: 'name', eq_value: 'apple' }],
      });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([{ id: 1 }]);
    });

    it('projects columns given as an array or a comma string', async () => {
      expect((await fetchRows({ columns: ['id', 'name'], sort_by: { field: 'id' }, limit: 1 }))[0]).toEqual({
        id: 1,
        name: 'apple',
      });
      expect((await fetchRows({ columns: ' id , qty ', sort_by: { field: 'id' }, limit: 1 }))[0]).toEqual({
        id: 1,
        qty: 5,
      });
    });

    it.each([
      ['eq', { column: 'name', operator: 'eq', value: 'banana' }, [2]],
      ['legacy eq', { eq_column: 'qty', eq_value: 7 }, [4]],
      ['neq excludes NULLs', { column: 'qty', operator: 'neq', value: 5 }, [2, 4]],
      ['gt', { column: 'qty', operator: 'gt', value: 5 }, [2, 4]],
      ['gte', { column: 'qty', operator: 'gte', value: 7 }, [2, 4]],
      ['lt', { column: 'price', operator: 'lt', value: 2 }, [1, 2]],
      ['lte', { column: 'price', operator: 'lte', value: 3 }, [1, 2, 4]],
      ['like', { column: 'name', operator: 'like', value: '%an%' }, [2]],
      ['ilike', { column: 'name', operator: 'ilike', value: 'd%' }, [4]],
      ['is null', { column: 'qty', operator: 'is', value: null }, [3]],
      ['eq null means IS NULL', { column: 'note', operator: 'eq', value: null }, [2, 3]],
      ['is true', { column: 'flag', operator: 'is', value: true }, [1, 4]],
      ['is false', { column: 'flag', operator: 'is', value: false }, [2]],
      ['in', { column: 'id', operator: 'in', value: [1, 3, 99] }, [1, 3]],
      ['in (empty) matches nothing', { column: 'id', operator: 'in', value: [] }, []],
      ['contains (array)', { column: 'tags', operator: 'contains', value: ['red'] }, [1, 3]],
      ['containedBy (array)', { column: 'tags', operator: 'containedBy', value: ['red', 'fruit'] }, [1, 3, 4]],
      ['contains (jsonb)', { column: 'meta', operator: 'contains', value: { origin: 'es' } }, [1]],
      ['uuid equality', { column: 'uid', operator: 'eq', value: '33333333-3333-4333-8333-333333333333' }, [3]],
      [
        'non-uuid value against a uuid column matches nothing instead of failing',
        { column: 'uid', operator: 'eq', value: 'not-a-uuid' },
        [],
      ],
    ])('operator %s', async (_name, condition, expected) => {
      expect(ids(await fetchRows({ columns: ['id'], conditions: [condition], sort_by: { field: 'id' } }))).toEqual(
        expected,
      );
    });

    it('ANDs several conditions', async () => {
      expect(
        ids(
          await fetchRows({
            conditions: [
              { column: 'flag', operator: 'is', value: true },
              { column: 'qty', operator: 'gt', value: 5 },
            ],
          }),
        ),
      ).toEqual([4]);
    });

    it('sorts with sort_by or sortBy, asc or desc', async () => {
      expect(ids(await fetchRows({ columns: 'id', sort_by: { field: 'price', direction: 'desc' } }))).toEqual([
        3, 4, 1, 2,
      ]);
      expect(ids(await fetchRows({ columns: 'id', sortBy: { column: 'name', direction: 'ascending' } }))).toEqual([
        4, 1, 2, 3,
      ]);
    });

    it('pages with limit/offset and current_page/page_size', async () => {
      expect(ids(await fetchRows({ columns: 'id', sort_by: { field: 'id' }, limit: 2, offset: 1 }))).toEqual([2, 3]);
      expect(ids(await fetchRows({ columns: 'id', sort_by: { field: 'id' }, current_page: 2, page_size: 3 }))).toEqual([
        4,
      ]);
    });

    it('reports truncated: true when gateway.max_rows caps the answer', async () => {
      await pg.query(
        `INSERT INTO events (created_at, kind, value) SELECT now(), 'bulk', g FROM generate_series(1, 60) g`,
      );
      try {
        const r = await post('/gateway/fetch', { table_name: 'events', columns: 'id' });
        expect(r.status).toBe(200);
        expect(r.body.count).toBe(50);
        expect(r.body.truncated).toBe(true);
        const exact = await post('/gateway/fetch', { table_name: 'events', columns: 'id', limit: 10 });
        expect(exact.body.count).toBe(10);
        expect(exact.body.truncated).toBeUndefined();
      } finally {
        await pg.query(`DELETE FROM events WHERE kind = 'bulk'`);
      }
    });

    it('strips nulls by body field, and by X-Strip-Nulls header when the body is silent', async () => {
      const byBody = await fetchRows({ conditions: [{ eq_column: 'id', eq_value: 3 }], strip_nulls: true });
      expect(byBody[0]).not.toHaveProperty('qty');
      expect(byBody[0]).toHaveProperty('name', 'cherry');
      const byHeader = await fetchRows(
        { conditions: [{ eq_column: 'id', eq_value: 3 }] },
        { ...H, 'x-strip-nulls': 'yes' },
      );
      expect(byHeader[0]).not.toHaveProperty('note');
      const bodyWins = await fetchRows(
        { conditions: [{ eq_column: 'id', eq_value: 3 }], strip_nulls: false },
        { ...H, 'x-strip-nulls': 'true' },
      );
      expect(bodyWins[0]).toHaveProperty('note', null);
    });

    it('reads schema-qualified tables', async () => {
      const r = await post('/gateway/fetch', { table_name: 'other.things', sort_by: { field: 'id' } });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        { id: 1, label: 'one' },
        { id: 2, label: 'two' },
      ]);
    });

    it('GET /data with query parameters', async () => {
      const r = await call(`${app.url}/data?view=items&eq_column=name&eq_value=apple&columns=id,name`, { headers: H });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([{ id: 1, name: 'apple' }]);
      const sorted = await call(`${app.url}/data?view=items&columns=id&sort_by=id&sort_direction=desc&limit=2`, {
        headers: H,
      });
      expect(ids(sorted.body.data)).toEqual([4, 3]);
    });

    it('post-processing groups by day with a cumulative sum', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'events',
        columns: ['created_at', 'value'],
        sort_by: { field: 'id' },
        group_by: 'created_at',
        time_granularity: 'day',
        aggregation_column: 'value',
        aggregation_strategy: 'cumulative_sum',
      });
      expect(r.status).toBe(200);
      const g = r.body.post_processing.grouped;
      expect(g.map((b: { label: string }) => b.label)).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
      expect(
        g.map((b: { aggregation: { bucket_value: number; value: number } }) => [
          b.aggregation.bucket_value,
          b.aggregation.value,
        ]),
      ).toEqual([
        [3, 3],
        [6, 9],
        [10, 19],
      ]);
      expect(g[0].rows).toHaveLength(2);
      const dedup = await post('/gateway/fetch', {
        table_name: 'events',
        group_by: 'kind',
        aggregation_column: 'value',
        aggregation_dedup: true,
      });
      const b = dedup.body.post_processing.grouped.find((x: { label: string }) => x.label === 'b');
      expect(b.aggregation.bucket_value).toBe(3);
    });

    it('post-processing configuration errors → 400 with the reference message', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'events',
        group_by: 'kind',
        aggregation_strategy: 'cumulative_sum',
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('aggregation_strategy requires aggregation_column');
      const g = await post('/gateway/fetch', {
        table_name: 'events',
        group_by: 'created_at',
        time_granularity: 'week',
      });
      expect(g.status).toBe(400);
      expect(g.body.error).toContain("Unsupported time_granularity 'week'");
    });

    it('identical concurrent fetches share one database execution (single-flight)', async () => {
      const before = await sharedCount();
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => post('/gateway/fetch', { table_name: 'slow_items' })),
      );
      const took = Date.now() - started;
      for (const r of results) expect(r.body.data).toEqual([{ id: 1, name: 'apple', slept: '' }]);
      expect((await sharedCount()) - before).toBeGreaterThanOrEqual(4);
      expect(took).toBeLessThan(6 * 300); // not six sequential 300 ms sleeps on a 10-connection pool anyway, but shared
    });

    async function sharedCount(): Promise<number> {
      const m = await call(`${app.url}/metrics`);
      const line = m.text
        .split('\n')
        .find((l) => l.startsWith('athena_gateway_singleflight_shared_total{client="main"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    }
  });

  describe('insert', () => {
    it('inserts one object and returns the row', async () => {
      const r = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: { name: 'elder', qty: 1, tags: ['x'], meta: { a: [1, 2] } },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', count: 1 });
      expect(r.body.data).toMatchObject({ name: 'elder', qty: 1, tags: ['x'], meta: { a: [1, 2] } });
      expect(r.body.data.id).toBeGreaterThan(100);
    });

    it('inserts an array atomically and returns the rows', async () => {
      const r = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: [{ name: 'fig', qty: 2 }, { name: 'grape' }],
      });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(2);
      expect(r.body.data.map((x: { name: string }) => x.name)).toEqual(['fig', 'grape']);
      const bad = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: [{ name: 'kiwi' }, { name: 'apple' }],
      });
      expect(bad.status).toBe(409);
      expect(bad.body).toMatchObject({ status: 'error', code: 'conflict' });
      expect((await pg.query(`SELECT 1 FROM items WHERE name = 'kiwi'`)).rowCount).toBe(0);
    });

    it('upserts with update_body and with on_conflict merge', async () => {
      const a = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: { id: 1, name: 'apple' },
        update_body: { qty: 50 },
      });
      expect(a.status).toBe(200);
      expect(a.body.data).toMatchObject({ id: 1, name: 'apple', qty: 50 });
      const b = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: { name: 'apple', qty: 51 },
        on_conflict: 'name',
      });
      expect(b.status).toBe(200);
      expect(b.body.data).toMatchObject({ id: 1, qty: 51 });
    });

    it('a unique violation → 409 conflict', async () => {
      const r = await put('/gateway/insert', { table_name: 'items', insert_body: { name: 'banana' } });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('conflict');
    });

    it('a missing NOT NULL value → 400 not_null_violation', async () => {
      const r = await put('/gateway/insert', { table_name: 'items', insert_body: { qty: 3 } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('not_null_violation');
    });
  });

  describe('update and delete', () => {
    it('updates matching rows and returns them', async () => {
      const r = await post('/gateway/update', {
        table_name: 'items',
        conditions: [{ column: 'name', operator: 'eq', value: 'banana' }],
        update_body: { note: 'ripe', qty: 13 },
      });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(1);
      expect(r.body.data[0]).toMatchObject({ id: 2, note: 'ripe', qty: 13 });
    });

    it('refuses an update without conditions or without update_body', async () => {
      const a = await post('/gateway/update', { table_name: 'items', update_body: { qty: 0 } });
      expect(a.status).toBe(400);
      expect(a.body.code).toBe('invalid_fetch_condition');
      const b = await post('/gateway/update', {
        table_name: 'items',
        conditions: [{ eq_column: 'id', eq_value: 2 }],
        update_body: {},
      });
      expect(b.status).toBe(400);
      expect((await pg.query(`SELECT count(*)::int AS n FROM items WHERE qty = 0`)).rows[0].n).toBe(0);
    });

    it('deletes by resource_id (a string, as the SDK sends it) and by conditions', async () => {
      await pg.query(`INSERT INTO items (id, name) VALUES (200, 'del-a'), (201, 'del-b'), (202, 'del-c')`);
      const a = await del('/gateway/delete', { table_name: 'items', resource_id: '200' });
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ count: 1, resource_id: '200' });
      const b = await del('/gateway/delete', {
        table_name: 'items',
        conditions: [{ column: 'name', operator: 'like', value: 'del-%' }],
      });
      expect(b.body.count).toBe(2);
      const none = await del('/gateway/delete', { table_name: 'items', resource_id: '99999' });
      expect(none.status).toBe(200);
      expect(none.body.count).toBe(0);
    });

    it('refuses a delete without resource_id or conditions', async () => {
      const r = await del('/gateway/delete', { table_name: 'items' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_delete_payload');
    });
  });

  describe('raw query', () => {
    it('returns rows of a SELECT and the count of a DML statement', async () => {
      const r = await post('/gateway/query', { query: 'SELECT id, name FROM items WHERE id <= 2 ORDER BY id;' });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        { id: 1, name: 'apple' },
        { id: 2, name: 'banana' },
      ]);
      const u = await post('/gateway/query', { query: `UPDATE items SET note = 'q' WHERE id IN (1, 2)` });
      expect(u.body).toMatchObject({ data: [], count: 2 });
    });

    it('rejects empty, chained and invalid statements with clear codes', async () => {
      expect((await post('/gateway/query', { query: '  ; ' })).body.code).toBe('empty_query');
      const chained = await post('/gateway/query', { query: 'SELECT 1; DROP TABLE items' });
      expect(chained.status).toBe(400);
      expect((await pg.query(`SELECT to_regclass('items') AS t`)).rows[0].t).toBe('items');
      const syntax = await post('/gateway/query', { query: 'SELEC nothing' });
      expect(syntax.status).toBe(400);
      expect(syntax.body.code).toBe('sql_syntax_error');
      expect((await post('/gateway/query', { nope: 1 })).body.code).toBe('invalid_query_payload');
    });
  });

  describe('bad input gets a clear 4xx and changes nothing', () => {
    it.each([
      [
        'missing client header',
        () => post('/gateway/fetch', { table_name: 'items' }, {}),
        400,
        'missing_client_header',
      ],
      [
        'unknown client',
        () => post('/gateway/fetch', { table_name: 'items' }, { 'x-athena-client': 'ghost' }),
        404,
        'invalid_client',
      ],
      ['unknown table', () => post('/gateway/fetch', { table_name: 'nope' }), 404, 'unknown_table'],
      [
        'unknown column',
        () => post('/gateway/fetch', { table_name: 'items', columns: ['id', 'bogus'] }),
        400,
        'unknown_column',
      ],
      [
        'injection in table name',
        () => post('/gateway/fetch', { table_name: 'items; DROP TABLE items' }),
        400,
        'invalid_identifier',
      ],
      [
        'injection in a column',
        () => post('/gateway/fetch', { table_name: 'items', columns: ['id" FROM items; --'] }),
        400,
        'invalid_identifier',
      ],
      [
        'injection in the sort field',
        () => post('/gateway/fetch', { table_name: 'items', sort_by: { field: 'id; DELETE FROM items' } }),
        400,
        'invalid_identifier',
      ],
      [
        'unknown operator',
        () =>
          post('/gateway/fetch', {
            table_name: 'items',
            conditions: [{ column: 'id', operator: 'between', value: [1, 2] }],
          }),
        400,
        'invalid_fetch_condition',
      ],
      [
        'malformed condition',
        () => post('/gateway/fetch', { table_name: 'items', conditions: ['id=1'] }),
        400,
        'invalid_fetch_condition',
      ],
      [
        'non-array in',
        () => post('/gateway/fetch', { table_name: 'items', conditions: [{ column: 'id', operator: 'in', value: 1 }] }),
        400,
        'invalid_condition_value',
      ],
      ['negative limit', () => post('/gateway/fetch', { table_name: 'items', limit: -1 }), 400, 'invalid_limit'],
      ['huge limit', () => post('/gateway/fetch', { table_name: 'items', limit: 1e12 }), 400, 'invalid_limit'],
      ['wrong JSON type', () => post('/gateway/fetch', { table_name: 42 }), 400, 'invalid_request'],
      [
        'empty insert array',
        () => put('/gateway/insert', { table_name: 'items', insert_body: [] }),
        400,
        'invalid_insert_payload',
      ],
      [
        'type mismatch in a value',
        () => put('/gateway/insert', { table_name: 'items', insert_body: { name: 'zz', qty: 'many' } }),
        400,
        'invalid_value',
      ],
    ])('%s', async (_name, request, status, code) => {
      const before = (
        await pg.query("SELECT count(*)::int AS n, md5(string_agg(items::text, ',' ORDER BY id)) AS h FROM items")
      ).rows[0];
      const r = await request();
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ status: 'error', code });
      expect(typeof r.body.message).toBe('string');
      expect(r.body.error.length).toBeGreaterThan(5);
      const after = (
        await pg.query("SELECT count(*)::int AS n, md5(string_agg(items::text, ',' ORDER BY id)) AS h FROM items")
      ).rows[0];
      expect(after).toEqual(before);
    });

    it('unknown_column lists the available columns', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'items',
        conditions: [{ eq_column: 'colour', eq_value: 'red' }],
      });
      expect(r.status).toBe(400);
      expect(r.body.available_columns).toEqual(expect.arrayContaining(['id', 'name', 'qty', 'tags']));
    });
  });

  describe('resilience and accounting', () => {
    it('a client whose database is down fails fast with 503 + Retry-After while others keep serving', async () => {
      const first = await post('/gateway/fetch', { table_name: 'items' }, { 'x-athena-client': 'down' });
      expect(first.status).toBe(503);
      expect(first.body.code).toBe('backend_unavailable');
      expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
      const t0 = Date.now();
      const again = await post('/gateway/fetch', { table_name: 'items' }, { 'x-athena-client': 'down' });
      expect(again.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(500); // circuit open: no connect attempt
      const healthy = await post('/gateway/fetch', { table_name: 'items', limit: 1 });
      expect(healthy.status).toBe(200);
      expect(JSON.stringify(first.body)).not.toContain('nope@');
    });

    it('writes gateway_request_log and gateway_operation_log rows and one gateway_trace line per call', async () => {
      const rid = `log-${Date.now()}`;
      const r = await post(
        '/gateway/fetch',
        { table_name: 'items', limit: 2 },
        { ...H, 'x-request-id': rid, 'x-user-id': 'u-7', 'x-company-id': 'c-1', 'x-organization-id': 'o-2' },
      );
      expect(r.status).toBe(200);
      const cp = new Client({ connectionString: control.uri });
      await cp.connect();
      try {
        let req: any[] = [];
        let op: any[] = [];
        for (let i = 0; i < 40 && (req.length === 0 || op.length === 0); i++) {
          await new Promise((res) => setTimeout(res, 100));
          req = (await cp.query('SELECT * FROM gateway_request_log WHERE request_id = $1', [rid])).rows;
          op = (await cp.query('SELECT * FROM gateway_operation_log WHERE request_id = $1', [rid])).rows;
        }
        expect(req).toHaveLength(1);
        expect(req[0]).toMatchObject({
          client: 'main',
          method: 'POST',
          path: '/gateway/fetch',
          status_code: 200,
          user_id: 'u-7',
          company_id: 'c-1',
          organization_id: 'o-2',
          cached: false,
        });
        expect(Number(req[0].time)).toBeGreaterThan(0);
        expect(op).toHaveLength(1);
        expect(op[0]).toMatchObject({
          operation: 'fetch',
          table_name: 'items',
          client_name: 'main',
          status_code: 200,
          row_count: 2,
          error: false,
        });
        const failed = `log-fail-${Date.now()}`;
        await post('/gateway/fetch', { table_name: 'missing_table' }, { ...H, 'x-request-id': failed });
        let fop: any[] = [];
        for (let i = 0; i < 40 && fop.length === 0; i++) {
          await new Promise((res) => setTimeout(res, 100));
          fop = (await cp.query('SELECT * FROM gateway_operation_log WHERE request_id = $1', [failed])).rows;
        }
        expect(fop[0]).toMatchObject({ status_code: 404, error: true });
        expect(fop[0].message).toContain('unknown_table');
      } finally {
        await cp.end();
      }
      const trace = app.logs.json().filter((l) => l.target === 'athena_rs::gateway_trace' && l.request_id === rid);
      expect(trace).toHaveLength(1);
      expect(trace[0]).toMatchObject({
        client: 'main',
        operation: 'fetch',
        table_name: 'items',
        status_code: 200,
        outcome: 'success',
        backend: 'postgres',
        rows_returned: 2,
      });
    });

    it('counts operations and exposes pool gauges', async () => {
      const m = await call(`${app.url}/metrics`);
      expect(m.text).toMatch(
        /athena_gateway_operations_total\{client="main",operation="fetch",outcome="success"\} \d+/,
      );
      expect(m.text).toMatch(
        /athena_gateway_operations_total\{client="down",operation="fetch",outcome="server_error"\} \d+/,
      );
      expect(m.text).toMatch(/athena_gateway_pool_connections\{client="main",state="total"\} \d+/);
      expect(m.text).toMatch(
        /athena_gateway_operation_duration_seconds_bucket\{le="[0-9.]+",client="main",operation="insert"\} \d+/,
      );
    });
  });
});
