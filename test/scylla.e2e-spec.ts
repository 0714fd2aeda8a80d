/**
 * Gateway routes on a real Cassandra 5 (started once per run by test/support/global-setup.ts from Maven Central
 * artifacts) beside a real PostgreSQL client. The outage test at the end SIGSTOPs the shared Cassandra for a
 * bounded time (always SIGCONTed in `finally`) and checks that only its clients answer 503.
 */
import { randomBytes } from 'node:crypto';
import { Client as CqlClient } from 'cassandra-driver';
import { ClientCatalogService } from '@athena/catalog';
import { DriverRegistry } from '@athena/drivers';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, serviceUrl, TestDatabase } from './support/services';

const describeCassandra = describeWith('cassandra');
const ok = describeWith('postgres') === describe;

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const U3 = '33333333-3333-4333-8333-333333333333';

(ok ? describeCassandra : describe.skip)('gateway on ScyllaDB/Cassandra (real Cassandra, real app)', () => {
  const contact = serviceUrl('cassandra') ?? '';
  const ks = `athena_e2e_${randomBytes(4).toString('hex')}`;
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let admin: CqlClient;
  const C = { 'x-athena-client': 'cass' };
  const post = (path: string, json: unknown, headers: Record<string, string> = C) =>
    call(`${app.url}${path}`, { method: 'POST', headers, json });
  const put = (json: unknown, headers: Record<string, string> = C) =>
    call(`${app.url}/gateway/insert`, { method: 'PUT', headers, json });
  const del = (json: unknown, headers: Record<string, string> = C) =>
    call(`${app.url}/gateway/delete`, { method: 'DELETE', headers, json });
  const cql = async (query: string) => {
    const r = await post('/gateway/query', { query });
    expect(r.status).toBe(200);
    return r.body;
  };
  const expect422 = async (body: Record<string, unknown>, reason: RegExp, headers: Record<string, string> = C) => {
    const r = await post('/gateway/fetch', body, headers);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ status: 'error', code: 'unsupported_by_backend' });
    expect(`${r.body.message} ${r.body.error}`).toMatch(reason);
  };

  beforeAll(async () => {
    admin = new CqlClient({ contactPoints: [contact], localDataCenter: 'datacenter1' });
    await admin.connect();
    await admin.execute(
      `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    control = await createTestDatabase('scylla_control');
    data = await createTestDatabase('scylla_pg');
    const base = {
      contact_points: [contact],
      local_data_center: 'datacenter1',
      keyspace: ks,
      connect_timeout_ms: 2000,
      request_timeout_ms: 1500,
    };
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, max_rows: 50 },
      postgres_clients: { main: data.uri },
      scylla_clients: {
        cass: base,
        cass_filter: { ...base, allow_filtering: true },
        cass_down: { ...base, contact_points: ['127.0.0.1:1'], connect_timeout_ms: 500 },
        // A tight request timeout: a full count(*) exceeds it, a key lookup (a few ms) does not.
        cass_slow: { ...base, request_timeout_ms: 250 },
        // Its keyspace does not exist yet (issue 16 item 10).
        cass_noks: { ...base, keyspace: `${ks}_late` },
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await admin?.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => undefined);
    await admin?.execute(`DROP KEYSPACE IF EXISTS ${ks}_late`).catch(() => undefined);
    await admin?.shutdown();
    await data?.drop();
    await control?.drop();
  });

  it('creates tables through /gateway/query (CQL on the scylla client)', async () => {
    await cql(`CREATE TABLE events (tenant text, day date, ts timestamp, id uuid, kind text, value int, tags set<text>,
      meta map<text, text>, payload blob, PRIMARY KEY ((tenant, day), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)`);
    await cql(
      'CREATE TABLE users (id uuid PRIMARY KEY, email text, name text, age int, score bigint, balance decimal, tags list<text>)',
    );
    await cql('CREATE INDEX users_email ON users (email)');
    await cql('CREATE TABLE readings (sensor text, at int, value double, PRIMARY KEY (sensor, at))');
    const r = await cql(`SELECT table_name FROM system_schema.tables WHERE keyspace_name = '${ks}'`);
    expect(r.data.map((x: { table_name: string }) => x.table_name).sort()).toEqual(['events', 'readings', 'users']);
  });

  describe('insert', () => {
    it('one row: answers the row as written', async () => {
      const row = {
        tenant: 'acme',
        day: '2024-01-01',
        ts: '2024-01-01T10:00:00.000Z',
        id: U1,
        kind: 'click',
        value: 1,
        tags: ['a', 'b'],
        meta: { src: 'web' },
        payload: '0xcafe',
      };
      const r = await put({ table_name: 'events', insert_body: row });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', count: 1, data: row });
    });

    it('a batch of rows (one logged BATCH)', async () => {
      const rows = [
        { tenant: 'acme', day: '2024-01-01', ts: '2024-01-01T11:00:00.000Z', id: U2, kind: 'view', value: 2 },
        { tenant: 'acme', day: '2024-01-01', ts: '2024-01-01T12:00:00.000Z', id: U3, kind: 'click', value: 3 },
        { tenant: 'acme', day: '2024-01-02', ts: '2024-01-02T09:00:00.000Z', id: U1, kind: 'view', value: 4 },
        { tenant: 'beta', day: '2024-01-01', ts: '2024-01-01T08:00:00.000Z', id: U1, kind: 'click', value: 5 },
      ];
      const r = await put({ table_name: 'events', insert_body: rows, columns: 'id,value' });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(4);
      expect(r.body.data).toEqual(rows.map((x) => ({ id: x.id, value: x.value })));
      const users = await put({
        table_name: 'users',
        insert_body: [
          {
            id: U1,
            email: 'ann@example.com',
            name: 'Ann',
            age: 31,
            score: '9007199254740993',
            balance: '12.50',
            tags: ['x'],
          },
          { id: U2, email: 'bob@example.com', name: 'Bob', age: 40, score: 7, balance: 3 },
        ],
      });
      expect(users.status).toBe(200);
      const readings = Array.from({ length: 25 }, (_, i) => ({ sensor: 's1', at: i, value: i / 2 }));
      expect((await put({ table_name: 'readings', insert_body: readings })).status).toBe(200);
    });

    it('if_not_exists: a new key is written, an existing key answers 409 and writes nothing', async () => {
      const row = {
        tenant: 'gamma',
        day: '2024-02-01',
        ts: '2024-02-01T00:00:00.000Z',
        id: U1,
        kind: 'first',
        value: 1,
      };
      expect((await put({ table_name: 'events', insert_body: row, if_not_exists: true })).status).toBe(200);
      const again = await put({ table_name: 'events', insert_body: { ...row, kind: 'second' }, if_not_exists: true });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
      const r = await post('/gateway/fetch', {
        table_name: 'events',
        conditions: [
          { eq_column: 'tenant', eq_value: 'gamma' },
          { eq_column: 'day', eq_value: '2024-02-01' },
        ],
      });
      expect(r.body.data.map((x: { kind: string }) => x.kind)).toEqual(['first']);
    });

    it('refuses rows without the full primary key, update_body, and unknown columns', async () => {
      const r = await put({ table_name: 'events', insert_body: { tenant: 'acme', day: '2024-01-01', id: U1 } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('missing_primary_key');
      expect(r.body.message).toMatch(/"ts"/);
      const up = await put({ table_name: 'users', insert_body: { id: U3, name: 'x' }, update_body: { name: 'y' } });
      expect(up.status).toBe(422);
      expect(up.body.code).toBe('unsupported_by_backend');
      const bad = await put({ table_name: 'users', insert_body: { id: U3, nope: 1 } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('unknown_column');
      expect(bad.body.available_columns).toEqual(expect.arrayContaining(['id', 'email', 'name']));
    });

    it('a value of the wrong type is a 400, not a 500', async () => {
      const r = await put({ table_name: 'users', insert_body: { id: 'not-a-uuid', name: 'x' } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_value');
    });
  });

  describe('fetch', () => {
    const acme = [
      { eq_column: 'tenant', eq_value: 'acme' },
      { eq_column: 'day', eq_value: '2024-01-01' },
    ];

    it('by the full partition key, in clustering order (ts DESC), with typed values', async () => {
      const r = await post('/gateway/fetch', { table_name: 'events', conditions: acme });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(3);
      expect(r.body.data.map((x: { value: number }) => x.value)).toEqual([3, 2, 1]);
      expect(r.body.data[2]).toEqual({
        tenant: 'acme',
        day: '2024-01-01',
        ts: '2024-01-01T10:00:00.000Z',
        id: U1,
        kind: 'click',
        value: 1,
        tags: ['a', 'b'],
        meta: { src: 'web' },
        payload: '0xcafe',
      });
      expect(r.body.page_state).toBeNull();
    });

    it('columns, eq and ranges on clustering columns, sort asc (reversed clustering order)', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'events',
        columns: ['id', 'value'],
        conditions: [
          ...acme,
          { column: 'ts', operator: 'gte', value: '2024-01-01T11:00:00Z' },
          { column: 'ts', operator: 'lt', value: '2024-01-01T13:00:00Z' },
        ],
        sort_by: { field: 'ts', direction: 'asc' },
      });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        { id: U2, value: 2 },
        { id: U3, value: 3 },
      ]);
      const eq = await post('/gateway/fetch', {
        table_name: 'events',
        columns: 'value',
        conditions: [
          ...acme,
          { column: 'ts', operator: 'eq', value: '2024-01-01T12:00:00Z' },
          { column: 'id', operator: 'eq', value: U3 },
        ],
      });
      expect(eq.body.data).toEqual([{ value: 3 }]);
    });

    it('IN on a partition key column and on a clustering column', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'events',
        columns: 'day,value',
        conditions: [
          { eq_column: 'tenant', eq_value: 'acme' },
          { column: 'day', operator: 'in', value: ['2024-01-01', '2024-01-02'] },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.data.map((x: { value: number }) => x.value).sort()).toEqual([1, 2, 3, 4]);
      const users = await post('/gateway/fetch', {
        table_name: 'users',
        columns: 'name',
        conditions: [{ column: 'id', operator: 'in', value: [U1, U2, U3] }],
      });
      expect(users.body.data.map((x: { name: string }) => x.name).sort()).toEqual(['Ann', 'Bob']);
      const none = await post('/gateway/fetch', {
        table_name: 'users',
        conditions: [{ column: 'id', operator: 'in', value: [] }],
      });
      expect(none.body).toMatchObject({ count: 0, data: [] });
    });

    it('equality on an indexed column; bigint beyond 2^53 and decimals come back as exact text', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'users',
        conditions: [{ eq_column: 'email', eq_value: 'ann@example.com' }],
      });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        {
          id: U1,
          age: 31,
          balance: '12.50',
          email: 'ann@example.com',
          name: 'Ann',
          score: '9007199254740993',
          tags: ['x'],
        },
      ]);
    });

    it('pages with page_state until the last page', async () => {
      const body = {
        table_name: 'readings',
        columns: 'at',
        conditions: [{ eq_column: 'sensor', eq_value: 's1' }],
        limit: 10,
      };
      const p1 = await post('/gateway/fetch', body);
      expect(p1.status).toBe(200);
      expect(p1.body.data.map((x: { at: number }) => x.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(typeof p1.body.page_state).toBe('string');
      const p2 = await post('/gateway/fetch', { ...body, page_state: p1.body.page_state });
      expect(p2.body.data.map((x: { at: number }) => x.at)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const p3 = await post('/gateway/fetch', { ...body, page_state: p2.body.page_state });
      expect(p3.body.data.map((x: { at: number }) => x.at)).toEqual([20, 21, 22, 23, 24]);
      expect(p3.body.page_state).toBeNull();
      const q = await call(
        `${app.url}/data?view=readings&eq_column=sensor&eq_value=s1&columns=at&limit=20&page_state=${p1.body.page_state}`,
        { headers: C },
      );
      expect(q.body.data.map((x: { at: number }) => x.at)[0]).toBe(10);
    });

    it('without a limit the page is capped by max_rows and says truncated', async () => {
      await put({
        table_name: 'readings',
        insert_body: Array.from({ length: 30 }, (_, i) => ({ sensor: 's2', at: i, value: 0 })),
      });
      await put({
        table_name: 'readings',
        insert_body: Array.from({ length: 30 }, (_, i) => ({ sensor: 's2', at: 100 + i, value: 0 })),
      });
      const r = await post('/gateway/fetch', {
        table_name: 'readings',
        conditions: [{ eq_column: 'sensor', eq_value: 's2' }],
      });
      expect(r.body.count).toBe(50);
      expect(r.body.truncated).toBe(true);
      expect(typeof r.body.page_state).toBe('string');
    });

    it('a page_state that is not one → 400 invalid_page_state', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'readings',
        conditions: [{ eq_column: 'sensor', eq_value: 's1' }],
        page_state: 'zz',
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_page_state');
    });

    it('unknown table → 404, unknown column → 400 with the available columns', async () => {
      const t = await post('/gateway/fetch', { table_name: 'nope' });
      expect(t.status).toBe(404);
      expect(t.body.code).toBe('unknown_table');
      const c = await post('/gateway/fetch', { table_name: 'users', columns: ['id', 'nope'] });
      expect(c.status).toBe(400);
      expect(c.body.code).toBe('unknown_column');
      expect(c.body.available_columns).toContain('email');
      const other = await post('/gateway/fetch', { table_name: 'nokeyspace.users' });
      expect(other.status).toBe(404);
    });
  });

  describe('422 unsupported_by_backend: what CQL cannot serve without a full scan', () => {
    const acme = [
      { eq_column: 'tenant', eq_value: 'acme' },
      { eq_column: 'day', eq_value: '2024-01-01' },
    ];
    it.each([
      [
        'a non-key column without an index',
        { table_name: 'events', conditions: [...acme, { eq_column: 'kind', eq_value: 'click' }] },
        /"kind" is not part of the primary key and has no index/,
      ],
      [
        'like',
        { table_name: 'users', conditions: [{ column: 'name', operator: 'like', value: 'A%' }] },
        /"like" on column "name"/,
      ],
      ['ilike', { table_name: 'users', conditions: [{ column: 'name', operator: 'ilike', value: 'a%' }] }, /"ilike"/],
      [
        'or',
        { table_name: 'users', conditions: [{ operator: 'or', value: 'age.eq.31,age.eq.40' }] },
        /"or" conditions/,
      ],
      ['not', { table_name: 'users', conditions: [{ operator: 'not', value: 'age.eq.31' }] }, /"not" on column "age"/],
      ['neq', { table_name: 'users', conditions: [{ column: 'id', operator: 'neq', value: U1 }] }, /"neq"/],
      ['is null', { table_name: 'users', conditions: [{ column: 'name', operator: 'is', value: null }] }, /"is"/],
      [
        'contains on a non-collection',
        { table_name: 'users', conditions: [{ column: 'name', operator: 'contains', value: ['A'] }] },
        /"contains" on column "name"/,
      ],
      [
        'a range on the partition key',
        { table_name: 'users', conditions: [{ column: 'id', operator: 'gt', value: U1 }] },
        /partition key column "id" is only range-filtered/,
      ],
      [
        'a partial partition key',
        { table_name: 'events', conditions: [{ eq_column: 'tenant', eq_value: 'acme' }] },
        /partition key is only partly restricted \(missing "day"\)/,
      ],
      [
        'a clustering column after an unrestricted one',
        { table_name: 'events', conditions: [...acme, { eq_column: 'id', eq_value: U1 }] },
        /earlier clustering column "ts" is not/,
      ],
      [
        'clustering without the partition key',
        { table_name: 'readings', conditions: [{ column: 'at', operator: 'gt', value: 3 }] },
        /without the full partition key/,
      ],
      [
        'a range on a column with a secondary index',
        { table_name: 'users', conditions: [{ column: 'email', operator: 'gt', value: 'a' }] },
        /range on column "email"/,
      ],
      [
        'ordering by a non-clustering column',
        { table_name: 'events', conditions: acme, sort_by: { field: 'value' } },
        /ordering by "value"/,
      ],
      [
        'ordering across partitions',
        { table_name: 'readings', sort_by: { field: 'at', direction: 'desc' } },
        /across partitions/,
      ],
      [
        'ordering on a table without clustering columns',
        { table_name: 'users', conditions: [{ eq_column: 'id', eq_value: U1 }], sort_by: { field: 'id' } },
        /no clustering columns/,
      ],
      [
        'offset paging',
        { table_name: 'readings', conditions: [{ eq_column: 'sensor', eq_value: 's1' }], limit: 5, offset: 5 },
        /offset paging/,
      ],
    ])('%s', async (_name, body, reason) => {
      await expect422(body, reason);
    });

    it('the same non-key filter is served with ALLOW FILTERING when the client allows filtering', async () => {
      const r = await post(
        '/gateway/fetch',
        { table_name: 'events', columns: 'value', conditions: [...acme, { eq_column: 'kind', eq_value: 'click' }] },
        { 'x-athena-client': 'cass_filter' },
      );
      expect(r.status).toBe(200);
      expect(r.body.data.map((x: { value: number }) => x.value)).toEqual([3, 1]);
      const tags = {
        table_name: 'events',
        columns: 'value',
        conditions: [...acme, { column: 'tags', operator: 'contains', value: ['a', 'b'] }],
      };
      expect((await post('/gateway/fetch', tags, { 'x-athena-client': 'cass_filter' })).body.data).toEqual([
        { value: 1 },
      ]);
      await expect422(tags, /"tags" is not part of the primary key and has no index/);
      const meta = {
        table_name: 'events',
        columns: 'value',
        conditions: [...acme, { column: 'meta', operator: 'contains', value: { src: 'web' } }],
      };
      expect((await post('/gateway/fetch', meta, { 'x-athena-client': 'cass_filter' })).body.data).toEqual([
        { value: 1 },
      ]);
      // like/or still have no CQL form at all
      await expect422(
        { table_name: 'users', conditions: [{ column: 'name', operator: 'like', value: 'A%' }] },
        /"like"/,
        { 'x-athena-client': 'cass_filter' },
      );
    });
  });

  describe('update and delete by full primary key', () => {
    it('update sets columns of an existing row and returns it', async () => {
      const r = await post('/gateway/update', {
        table_name: 'users',
        update_body: { name: 'Ann B.', age: 32 },
        conditions: [{ eq_column: 'id', eq_value: U1 }],
        columns: 'id,name,age',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ count: 1, data: [{ id: U1, name: 'Ann B.', age: 32 }] });
    });

    it('update of a missing row changes nothing (no upsert)', async () => {
      const r = await post('/gateway/update', {
        table_name: 'users',
        update_body: { name: 'ghost' },
        conditions: [{ eq_column: 'id', eq_value: U3 }],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ count: 0, data: [] });
      const f = await post('/gateway/fetch', { table_name: 'users', conditions: [{ eq_column: 'id', eq_value: U3 }] });
      expect(f.body.count).toBe(0);
    });

    it('update with a partial key, a non-key filter or a key column in update_body → 422', async () => {
      const partial = await post('/gateway/update', {
        table_name: 'events',
        update_body: { kind: 'x' },
        conditions: [
          { eq_column: 'tenant', eq_value: 'acme' },
          { eq_column: 'day', eq_value: '2024-01-01' },
        ],
      });
      expect(partial.status).toBe(422);
      expect(partial.body.message).toMatch(/without "ts"/);
      const nonKey = await post('/gateway/update', {
        table_name: 'users',
        update_body: { age: 1 },
        conditions: [{ eq_column: 'name', eq_value: 'Bob' }],
      });
      expect(nonKey.status).toBe(422);
      const keyCol = await post('/gateway/update', {
        table_name: 'users',
        update_body: { id: U3 },
        conditions: [{ eq_column: 'id', eq_value: U2 }],
      });
      expect(keyCol.status).toBe(422);
      expect(keyCol.body.message).toMatch(/primary key column "id"/);
    });

    it('delete by full primary key returns the deleted row; by resource_id too', async () => {
      const r = await del({
        table_name: 'events',
        conditions: [
          { eq_column: 'tenant', eq_value: 'acme' },
          { eq_column: 'day', eq_value: '2024-01-01' },
          { eq_column: 'ts', eq_value: '2024-01-01T11:00:00Z' },
          { eq_column: 'id', eq_value: U2 },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ count: 1, data: [{ id: U2, value: 2, kind: 'view' }] });
      const left = await post('/gateway/fetch', {
        table_name: 'events',
        columns: 'value',
        conditions: [
          { eq_column: 'tenant', eq_value: 'acme' },
          { eq_column: 'day', eq_value: '2024-01-01' },
        ],
      });
      expect(left.body.data).toEqual([{ value: 3 }, { value: 1 }]);
      const byId = await del({ table_name: 'users', resource_id: U2 });
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ count: 1, resource_id: U2 });
      const again = await del({ table_name: 'users', resource_id: U2 });
      expect(again.body.count).toBe(0);
      const partial = await del({ table_name: 'events', conditions: [{ eq_column: 'tenant', eq_value: 'acme' }] });
      expect(partial.status).toBe(422);
    });
  });

  describe('rawQuery (what /query/sql with driver "athena" calls)', () => {
    it('runs CQL with bound parameters and answers plain rows; errors keep the server words', async () => {
      const registry = app.server.app.get(DriverRegistry);
      const driver = registry.forClient(app.server.app.get(ClientCatalogService).resolve('cass'));
      expect(driver.backend).toBe('scylla');
      const r = await driver.rawQuery('SELECT id, name, score FROM users WHERE id = ?', [U1]);
      expect(r).toEqual({
        rows: [{ id: U1, name: 'Ann B.', score: '9007199254740993' }],
        rowCount: 1,
        command: 'SELECT',
      });
      await expect(driver.rawQuery('SELEC nothing')).rejects.toMatchObject({
        status: 400,
        code: 'cql_syntax_error',
        detail: expect.stringMatching(/SELEC/),
      });
      expect(driver.poolStats().total).toBeGreaterThanOrEqual(1);
      await expect(driver.ping(2000)).resolves.toBeUndefined();
    });

    it('/gateway/query answers the CQL syntax error as 400', async () => {
      const r = await post('/gateway/query', { query: 'SELEC nothing' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('cql_syntax_error');
    });
  });

  describe('POST /query/sql with driver "athena" (CQL on a scylla client)', () => {
    const sql = (json: unknown, headers: Record<string, string> = C) =>
      call(`${app.url}/query/sql`, { method: 'POST', headers, json });

    it('answers a bare JSON array of rows (reference §4.1), also when the client is named by db_name', async () => {
      const r = await sql({ query: `SELECT id, name FROM users WHERE id = ${U1}`, driver: 'athena', db_name: 'cass' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual([{ id: U1, name: 'Ann B.' }]);
      const byName = await sql(
        { query: `SELECT id FROM users WHERE id = ${U1}`, driver: 'athena', db_name: 'cass' },
        {},
      );
      expect(byName.status).toBe(200);
      expect(byName.body).toEqual([{ id: U1 }]);
    });

    it('CQL errors keep a stable code; a PostgreSQL driver on a scylla client is refused', async () => {
      const bad = await sql({ query: 'SELEC nothing', driver: 'athena', db_name: 'cass' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ status: 'error', code: 'cql_syntax_error' });
      const mismatch = await sql({ query: 'SELECT 1', driver: 'postgresql', db_name: 'cass' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.code).toBe('driver_backend_mismatch');
    });

    it('an unreachable cluster → 503 backend_unavailable with Retry-After', async () => {
      const r = await sql(
        { query: 'SELECT * FROM users', driver: 'athena', db_name: 'cass_down' },
        { 'x-athena-client': 'cass_down' },
      );
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('backend_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('/health/cluster probes the scylla clients too: up with latency, down with a code', async () => {
      const saved = process.env.ATHENA_KEY_12;
      process.env.ATHENA_KEY_12 = 'scylla-health-admin';
      // The per-client detail is admin-only (issue 16 item 5).
      const r = await call(`${app.url}/health/cluster`, {
        headers: { 'x-athena-admin-key': 'scylla-health-admin' },
      }).finally(() => {
        if (saved === undefined) delete process.env.ATHENA_KEY_12;
        else process.env.ATHENA_KEY_12 = saved;
      });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('degraded'); // cass_down is offline
      const clients = r.body.clients as Array<Record<string, unknown>>;
      const byName = new Map(clients.map((c) => [c.name, c]));
      expect(byName.get('cass')).toMatchObject({ backend: 'scylla', status: 'online', error: null });
      expect(typeof byName.get('cass')!.latency_ms).toBe('number');
      expect(byName.get('cass_down')).toMatchObject({
        backend: 'scylla',
        status: 'offline',
        error: expect.any(String),
      });
      expect(byName.get('main')).toMatchObject({ backend: 'postgres', status: 'online' });
    });
  });

  describe('a client whose keyspace does not exist (issue 16 item 10)', () => {
    const N = { 'x-athena-client': 'cass_noks' };
    it('says 503 keyspace_missing naming it, runs statements that name a keyspace, and adopts it once created', async () => {
      const f = await post('/gateway/fetch', { table_name: 't' }, N);
      expect([f.status, f.body.code]).toEqual([503, 'keyspace_missing']);
      expect(f.body.message).toContain(`${ks}_late`);
      expect(Number(f.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const unqualified = await post('/gateway/query', { query: 'SELECT * FROM t' }, N);
      expect([unqualified.status, unqualified.body.code]).toEqual([503, 'keyspace_missing']);
      const named = await post('/gateway/query', { query: 'SELECT release_version FROM system.local' }, N);
      expect(named.status).toBe(200);
      const created = await post(
        '/gateway/query',
        { query: `CREATE KEYSPACE ${ks}_late WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}` },
        N,
      );
      expect(created.status).toBe(200);
      const table = await post('/gateway/query', { query: 'CREATE TABLE t (id int PRIMARY KEY, v text)' }, N);
      expect(table.status).toBe(200);
      const ins = await put({ table_name: 't', insert_body: { id: 1, v: 'x' } }, N);
      expect(ins.status).toBe(200);
      const after = await post(
        '/gateway/fetch',
        { table_name: 't', conditions: [{ eq_column: 'id', eq_value: 1 }] },
        N,
      );
      expect([after.status, after.body.data]).toEqual([200, [{ id: 1, v: 'x' }]]);
    });
  });

  describe('response cache on a scylla client', () => {
    it('a write naming the table with its keyspace invalidates cached reads that named it without (and back)', async () => {
      const read = { table_name: 'users', columns: 'id,age', conditions: [{ eq_column: 'id', eq_value: U1 }] };
      const first = await post('/gateway/fetch', read);
      expect(first.status).toBe(200);
      expect((await post('/gateway/fetch', read)).headers.get('x-athena-cache')).toBe('hit');
      const upd = await post('/gateway/update', {
        table_name: `${ks}.users`,
        update_body: { age: 41 },
        conditions: [{ eq_column: 'id', eq_value: U1 }],
      });
      expect(upd.status).toBe(200);
      const after = await post('/gateway/fetch', read);
      expect(after.headers.get('x-athena-cache')).toBe('miss');
      expect(after.body.data).toEqual([{ id: U1, age: 41 }]);

      const qualified = { ...read, table_name: `${ks}.users` };
      expect((await post('/gateway/fetch', qualified)).status).toBe(200);
      expect((await post('/gateway/fetch', qualified)).headers.get('x-athena-cache')).toBe('hit');
      expect(
        (
          await post('/gateway/update', {
            table_name: 'users',
            update_body: { age: 42 },
            conditions: [{ eq_column: 'id', eq_value: U1 }],
          })
        ).status,
      ).toBe(200);
      const again = await post('/gateway/fetch', qualified);
      expect(again.headers.get('x-athena-cache')).toBe('miss');
      expect(again.body.data).toEqual([{ id: U1, age: 42 }]);
    });
  });

  describe('a slow statement on a healthy cluster', () => {
    it('times out as 504 query_timeout without opening the breaker: the next request on that client is served at once', async () => {
      await admin.execute(`CREATE TABLE ${ks}.slow_scan (p int, c int, v int, PRIMARY KEY (p, c))`);
      const ins = `INSERT INTO ${ks}.slow_scan (p, c, v) VALUES (?, ?, ?)`;
      // 60 000 rows: a count(*) over them takes ~1 s, 4x the client's 250 ms. Written 8 partitions at a time so the
      // node stays responsive for the other clients' background schema refreshes.
      for (let p0 = 0; p0 < 120; p0 += 8) {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            admin.batch(
              Array.from({ length: 500 }, (_, c) => ({ query: ins, params: [p0 + i, c, c] })),
              { prepare: true, logged: false },
            ),
          ),
        );
      }
      const S = { 'x-athena-client': 'cass_slow' };
      const t0 = Date.now();
      const slow = await post('/gateway/query', { query: 'SELECT count(*) FROM slow_scan' }, S);
      expect(slow.status).toBe(504);
      expect(slow.body).toMatchObject({ status: 'error', code: 'query_timeout' });
      expect(slow.body.message).toMatch(/exceeded request_timeout_ms \(250 ms/);
      expect(slow.headers.get('retry-after')).toBeNull();
      expect(Date.now() - t0).toBeLessThan(3000); // 250 ms + a probe bounded by 500 ms
      const t1 = Date.now();
      const next = await post('/gateway/query', { query: 'SELECT v FROM slow_scan WHERE p = 1 AND c = 7' }, S);
      expect(next.status).toBe(200);
      expect(next.body.data).toEqual([{ v: 7 }]);
      const fetched = await post(
        '/gateway/fetch',
        {
          table_name: 'slow_scan',
          conditions: [
            { eq_column: 'p', eq_value: 2 },
            { eq_column: 'c', eq_value: 3 },
          ],
        },
        { ...S, 'cache-control': 'no-store' },
      );
      expect(fetched.status).toBe(200);
      expect(Date.now() - t1).toBeLessThan(1000);
    });
  });

  describe('availability', () => {
    it('an unreachable cluster answers 503 backend_unavailable with Retry-After, fast; PostgreSQL keeps serving', async () => {
      const t0 = Date.now();
      const r = await post('/gateway/fetch', { table_name: 'users' }, { 'x-athena-client': 'cass_down' });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('backend_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const t1 = Date.now();
      const again = await post('/gateway/fetch', { table_name: 'users' }, { 'x-athena-client': 'cass_down' });
      expect(again.status).toBe(503);
      expect(Date.now() - t1).toBeLessThan(500); // breaker: no second connect attempt
      expect(t1 - t0).toBeLessThan(5000);
      const pg = await post('/gateway/query', { query: 'SELECT 1 AS one' }, { 'x-athena-client': 'main' });
      expect(pg.status).toBe(200);
      const cass = await post('/gateway/fetch', { table_name: 'users', columns: 'id' });
      expect(cass.status).toBe(200);
    });

    it('a Cassandra stopped mid-test (SIGSTOP) → its client answers 503 + Retry-After while PostgreSQL serves; it recovers after SIGCONT', async () => {
      const pid = Number(process.env.ATHENA_TEST_CASSANDRA_PID);
      if (!Number.isInteger(pid) || pid <= 0) {
        if (process.env.CI === 'true')
          throw new Error('ATHENA_TEST_CASSANDRA_PID is not set: global-setup did not start Cassandra');
        process.stderr.write(
          '!!! Cassandra was not started by global-setup (external contact): skipping the SIGSTOP outage check\n',
        );
        return;
      }
      const body = { table_name: 'users', columns: 'id', conditions: [{ eq_column: 'id', eq_value: U1 }] };
      // `no-store`: these requests must reach the cluster, not the response cache.
      const NS = { ...C, 'cache-control': 'no-store' };
      const warm = await post('/gateway/fetch', body); // also leaves the answer in the response cache
      expect(warm.status).toBe(200);
      process.kill(pid, 'SIGSTOP');
      try {
        const t0 = Date.now();
        const [cass, pg] = await Promise.all([
          post('/gateway/fetch', body, NS),
          (async () => {
            await new Promise((r) => setTimeout(r, 200));
            const t = Date.now();
            const res = await post('/gateway/query', { query: 'SELECT 2 AS two' }, { 'x-athena-client': 'main' });
            return { res, ms: Date.now() - t };
          })(),
        ]);
        expect(cass.status).toBe(503);
        expect(cass.body.code).toBe('backend_unavailable');
        expect(cass.headers.get('retry-after')).toBeTruthy();
        expect(Date.now() - t0).toBeLessThan(5000); // request_timeout_ms 1500 bounds the wait
        expect(pg.res.status).toBe(200);
        expect(pg.ms).toBeLessThan(1000);
        const t1 = Date.now();
        const fast = await post('/gateway/fetch', body, NS);
        expect(fast.status).toBe(503);
        expect(Date.now() - t1).toBeLessThan(500);
        // A read the cache already holds is still answered (within its TTL) while the cluster is down.
        const cached = await post('/gateway/fetch', body);
        expect(cached.status).toBe(200);
        expect(cached.headers.get('x-athena-cache')).toBe('hit');
        expect(cached.body.data).toEqual(warm.body.data);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await post('/gateway/fetch', body, NS)).status;
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(status).toBe(200);
    });
  });
});
