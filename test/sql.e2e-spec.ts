import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { PostgrestRecorder } from './support/postgrest-recorder';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

describeWith('postgres')('POST /query/sql and GET /health/cluster (real app, real PostgreSQL)', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  let pg: Client;
  let rec: PostgrestRecorder;
  let app: TestApp;
  let blackhole: net.Server;
  const held: net.Socket[] = [];
  const sql = (json: unknown, headers: Record<string, string> = { 'x-athena-client': 'main' }) =>
    call(`${app.url}/query/sql`, { method: 'POST', headers, json });

  beforeAll(async () => {
    control = await createTestDatabase('sql_control');
    data = await createTestDatabase('sql_data');
    pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE);
      INSERT INTO items VALUES (1, 'apple'), (2, 'banana'), (3, 'cherry'); CREATE SEQUENCE s1;`);
    rec = await PostgrestRecorder.start();
    // accepts TCP connections and never answers: a backend that hangs
    blackhole = net.createServer((sock) => held.push(sock));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const hangPort = (blackhole.address() as AddressInfo).port;
    app = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        max_rows: 5,
        pool: { connection_timeout_ms: 1000 },
        sql: { statement_timeout_ms: 400 },
        health_cluster: { timeout_ms: 1500, cache_ms: 3000 },
      },
      postgres_clients: {
        main: data.uri,
        ro: { uri: data.uri, read_only: true },
        down: 'postgresql://athena:nope@127.0.0.1:1/nothing',
        hang: `postgresql://athena:nope@127.0.0.1:${hangPort}/nothing`,
      },
      supabase_clients: { sb: { url: rec.url, key: 'sb-key-123' } },
    });
  });

  afterAll(async () => {
    await app?.close();
    await rec?.close();
    held.forEach((s) => s.destroy());
    await new Promise((r) => blackhole?.close(r));
    await pg?.end();
    await data?.drop();
    await control?.drop();
  });

  describe('driver postgresql', () => {
    it('returns the envelope with db_name and duration (ms)', async () => {
      const r = await sql({ query: 'SELECT id, name FROM items ORDER BY id', driver: 'postgresql', db_name: 'main' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: 'success',
        message: 'Successfully executed query',
        db_name: 'main',
        count: 3,
        command: 'SELECT',
      });
      expect(r.body.data).toEqual([
        { id: 1, name: 'apple' },
        { id: 2, name: 'banana' },
        { id: 3, name: 'cherry' },
      ]);
      expect(typeof r.body.duration).toBe('number');
      expect(r.body.duration).toBeGreaterThanOrEqual(0);
    });

    it('"postgres" is an alias; db_name names the client when no header is sent', async () => {
      const r = await sql({ query: 'SELECT count(*)::int AS n FROM items', driver: 'postgres', db_name: 'main' }, {});
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ db_name: 'main', data: [{ n: 3 }] });
    });

    it('DML reports affected rows; a unique violation is 409', async () => {
      let r = await sql({ query: "INSERT INTO items VALUES (10, 'date'), (11, 'elder')", driver: 'postgresql' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ command: 'INSERT', count: 2, db_name: 'main' });
      r = await sql({ query: "INSERT INTO items VALUES (12, 'apple')", driver: 'postgresql' });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('conflict');
      await pg.query('DELETE FROM items WHERE id >= 10');
    });

    it('caps rows at gateway.max_rows and says so', async () => {
      const r = await sql({ query: 'SELECT g FROM generate_series(1, 20) g', driver: 'postgresql' });
      expect(r.status).toBe(200);
      expect(r.body.data).toHaveLength(5);
      expect(r.body.truncated).toBe(true);
    });

    it('statement timeout from gateway.sql.statement_timeout_ms → 504 query_timeout; the session timeout is restored', async () => {
      const r = await sql({ query: 'SELECT pg_sleep(2)', driver: 'postgresql' });
      expect(r.status).toBe(504);
      expect(r.body.code).toBe('query_timeout');
      // /gateway/query keeps the pool's own timeout (30 s): a 0.6 s sleep succeeds on the same pool
      const g = await call(`${app.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main' },
        json: { query: 'SELECT pg_sleep(0.6)' },
      });
      expect(g.status).toBe(200);
    });

    it('syntax errors are 400 with the database message', async () => {
      const r = await sql({ query: 'SELEC 1', driver: 'postgresql' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('sql_syntax_error');
      expect(r.body.error).toContain('syntax error');
    });

    it('an unreachable client → 503 backend_unavailable with Retry-After', async () => {
      const r = await sql({ query: 'SELECT 1', driver: 'postgresql' }, { 'x-athena-client': 'down' });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('backend_unavailable');
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });

  describe('read_only clients', () => {
    it('reads work', async () => {
      const r = await sql(
        { query: 'SELECT name FROM items WHERE id = 1', driver: 'postgresql' },
        { 'x-athena-client': 'ro' },
      );
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([{ name: 'apple' }]);
    });

    it.each([
      ["INSERT INTO items VALUES (50, 'x')"],
      ['UPDATE items SET name = name'],
      ['CREATE TABLE nope (id int)'],
      ["SELECT nextval('s1')"],
    ])('refuses %s with 403 read_only and writes nothing', async (q) => {
      const r = await sql({ query: q, driver: 'postgresql' }, { 'x-athena-client': 'ro' });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('read_only');
      expect((await pg.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(3);
    });

    it('a SET inside the statement does not leak into the pooled session', async () => {
      const s = await sql(
        { query: "SELECT set_config('default_transaction_read_only', 'off', false)", driver: 'postgresql' },
        { 'x-athena-client': 'ro' },
      );
      expect(s.status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const r = await sql(
          { query: "INSERT INTO items VALUES (60, 'x')", driver: 'postgresql' },
          { 'x-athena-client': 'ro' },
        );
        expect(r.status).toBe(403);
      }
      // the gateway routes refuse writes on the read-only client too
      const w = await call(`${app.url}/gateway/insert`, {
        method: 'PUT',
        headers: { 'x-athena-client': 'ro' },
        json: { table_name: 'items', insert_body: { id: 61, name: 'y' } },
      });
      expect(w.status).toBe(403);
      expect(w.body.code).toBe('read_only');
      expect((await pg.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(3);
    });
  });

  describe('dispatch and validation', () => {
    it('unknown driver → 400 invalid_driver', async () => {
      const r = await sql({ query: 'SELECT 1', driver: 'mysql' });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ status: 'error', code: 'invalid_driver' });
      expect(r.body.error).toContain('postgresql, postgres, athena, supabase');
    });

    it('missing client → 400 missing_client_header; unknown → 404', async () => {
      let r = await sql({ query: 'SELECT 1', driver: 'postgresql' }, {});
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('missing_client_header');
      r = await sql({ query: 'SELECT 1', driver: 'postgresql', db_name: 'nope' }, {});
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('invalid_client');
    });

    it('athena (CQL) on a PostgreSQL client → 400 driver_backend_mismatch', async () => {
      const r = await sql({ query: 'SELECT * FROM ks.t', driver: 'athena' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('driver_backend_mismatch');
      expect(r.body.error).toContain('ScyllaDB/Cassandra');
    });

    it('postgresql on a Supabase client → 400; supabase on it → 422 unsupported_by_backend', async () => {
      let r = await sql({ query: 'SELECT 1', driver: 'postgresql' }, { 'x-athena-client': 'sb' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('driver_backend_mismatch');
      r = await sql({ query: 'SELECT 1', driver: 'supabase', db_name: 'sb' }, {});
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('unsupported_by_backend');
    });

    it('empty and malformed bodies → 400', async () => {
      expect((await sql({ query: '  ', driver: 'postgresql' })).body.code).toBe('empty_query');
      expect((await sql([1, 2])).body.code).toBe('invalid_query_payload');
    });

    it('records request/operation logs and operation metrics', async () => {
      const rid = `sql-${Date.now()}`;
      const r = await sql(
        { query: 'SELECT 1 AS one', driver: 'postgresql' },
        { 'x-athena-client': 'main', 'x-request-id': rid, 'x-user-id': 'u-9' },
      );
      expect(r.status).toBe(200);
      const cp = new Client({ connectionString: control.uri });
      await cp.connect();
      try {
        let op: any[] = [];
        let req: any[] = [];
        for (let i = 0; i < 40 && (op.length === 0 || req.length === 0); i++) {
          await new Promise((res) => setTimeout(res, 100));
          op = (await cp.query('SELECT * FROM gateway_operation_log WHERE request_id = $1', [rid])).rows;
          req = (await cp.query('SELECT * FROM gateway_request_log WHERE request_id = $1', [rid])).rows;
        }
        expect(req[0]).toMatchObject({
          client: 'main',
          method: 'POST',
          path: '/query/sql',
          status_code: 200,
          user_id: 'u-9',
        });
        expect(op[0]).toMatchObject({
          operation: 'sql',
          client_name: 'main',
          status_code: 200,
          row_count: 1,
          error: false,
        });
      } finally {
        await cp.end();
      }
      const m = await call(`${app.url}/metrics`);
      expect(m.text).toMatch(/athena_gateway_operations_total\{client="main",operation="sql",outcome="success"\} \d+/);
      expect(m.text).toMatch(
        /athena_gateway_operations_total\{client="main",operation="sql",outcome="client_error"\} \d+/,
      );
    });

    it('is documented in the OpenAPI spec', async () => {
      const r = await call(`${app.url}/openapi.json`);
      expect(r.body.paths['/query/sql'].post.summary).toBeTruthy();
      expect(r.body.paths['/health/cluster'].get.summary).toBeTruthy();
    });
  });

  describe('GET /health/cluster', () => {
    const ADMIN_KEY = `admin-sql-${process.pid}-${Date.now()}`;
    const saved = process.env.ATHENA_KEY_12;
    beforeAll(() => {
      process.env.ATHENA_KEY_12 = ADMIN_KEY;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.ATHENA_KEY_12;
      else process.env.ATHENA_KEY_12 = saved;
    });
    const A = { 'x-athena-admin-key': ADMIN_KEY };

    it('probes every client concurrently: up, down and Supabase, with latency; then serves the cached answer', async () => {
      rec.reset();
      rec.reply({ status: 200, body: { swagger: '2.0', definitions: {} } });
      const started = Date.now();
      const r = await call(`${app.url}/health/cluster`, { headers: A });
      expect(r.status).toBe(200);
      // the hanging client is cut at timeout_ms (1500) and probed concurrently with the others
      expect(Date.now() - started).toBeLessThan(2500);
      expect(r.body).toMatchObject({
        status: 'degraded',
        athena_api: 'online',
        athena_deadpool: 'online',
        athena_scylladb: 'offline',
        cached: false,
        mirrors: [],
      });
      const by = Object.fromEntries((r.body.clients as any[]).map((c) => [c.name, c]));
      expect(by.main).toMatchObject({ backend: 'postgres', status: 'online', error: null });
      expect(typeof by.main.latency_ms).toBe('number');
      expect(by.ro).toMatchObject({ status: 'online' });
      expect(by.down).toMatchObject({ backend: 'postgres', status: 'offline', latency_ms: null });
      expect(typeof by.down.error).toBe('string');
      expect(by.hang).toMatchObject({ status: 'offline', error: 'timeout', latency_ms: null });
      expect(JSON.stringify(r.body)).not.toContain('nope');
      expect(by.sb).toMatchObject({ backend: 'supabase', status: 'online', breaker: 'closed' });
      expect(rec.last()).toMatchObject({
        method: 'GET',
        path: '/rest/v1/',
        headers: expect.objectContaining({ apikey: 'sb-key-123' }),
      });

      const probes = rec.requests.length;
      const again = await call(`${app.url}/health/cluster`, { headers: A });
      expect(again.body.cached).toBe(true);
      expect(again.body.checked_at).toBe(r.body.checked_at);
      expect(rec.requests.length).toBe(probes);
    });

    it('without the admin key (or with a wrong one) the answer is an aggregate: counts, no per-client detail (issue 16 item 5)', async () => {
      for (const headers of [{}, { 'x-athena-admin-key': 'wrong' }] as Array<Record<string, string>>) {
        const r = await call(`${app.url}/health/cluster`, { headers });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ status: 'degraded', detail: 'aggregate', athena_api: 'online' });
        expect(r.body.clients).toBeUndefined();
        const c = r.body.client_counts;
        expect(c.total).toBe(c.online + c.offline + c.unconfigured + c.frozen + c.inactive);
        expect(c.offline).toBeGreaterThanOrEqual(2); // down, hang
        expect(JSON.stringify(r.body)).not.toMatch(/"main"|"hang"|"down"/);
      }
    });
  });
});
