/**
 * Raw SQL (/gateway/query, /query/sql) runs on a pooled connection that the next caller reuses. Whatever one
 * caller's statement leaves on the session (SET, an open BEGIN, temp tables, LISTEN, advisory locks, PREPARE)
 * must not reach the next caller. The pool has ONE connection, so every call below runs on the same backend
 * (asserted through pg_backend_pid()).
 */
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

describeWith('postgres')(
  'raw SQL leaves no session state on the pooled connection (real app, real PostgreSQL, pool max 1)',
  () => {
    let app: TestApp;
    let control: TestDatabase;
    let data: TestDatabase;
    let pg: Client;
    const H = { 'x-athena-client': 'main' };
    const query = async (q: string) => {
      const r = await call(`${app.url}/gateway/query`, { method: 'POST', headers: H, json: { query: q } });
      expect({ q, status: r.status, body: r.status === 200 ? undefined : r.body }).toEqual({
        q,
        status: 200,
        body: undefined,
      });
      return r.body.data as Array<Record<string, unknown>>;
    };
    const one = async (q: string) => (await query(q))[0];
    let pid: unknown;

    beforeAll(async () => {
      control = await createTestDatabase('rawsess_control');
      data = await createTestDatabase('rawsess_data');
      pg = new Client({ connectionString: data.uri });
      await pg.connect();
      await pg.query(
        'CREATE SCHEMA other; CREATE TABLE other.things (id int PRIMARY KEY); CREATE TABLE items (id int PRIMARY KEY)',
      );
      app = await bootApp({
        gateway: { logging_pg_uri: control.uri, pool: { max: 1, connection_timeout_ms: 2000 } },
        postgres_clients: { main: data.uri },
      });
      pid = (await one('SELECT pg_backend_pid() AS pid')).pid;
      expect(typeof pid).toBe('number');
    });

    afterAll(async () => {
      await app?.close();
      await pg?.end();
      await data?.drop();
      await control?.drop();
    });

    afterEach(async () => {
      // Every call ran on the one pooled connection: the cleanup reset it instead of replacing it.
      expect((await one('SELECT pg_backend_pid() AS pid')).pid).toBe(pid);
    });

    it('SET search_path / application_name / session_replication_role / ROLE do not survive the call', async () => {
      await query('SET search_path TO other');
      expect((await one("SELECT current_setting('search_path') AS v")).v).toBe('"$user", public');
      await query("SET application_name = 'someone_else'");
      expect((await one("SELECT current_setting('application_name') AS v")).v).toBe('athena:main');
      await query('SET session_replication_role = replica');
      expect((await one("SELECT current_setting('session_replication_role') AS v")).v).toBe('origin');
      const me = (await one('SELECT current_user AS u')).u;
      await query('SET ROLE pg_monitor');
      expect((await one('SELECT current_user AS u')).u).toBe(me);
      await query('SET statement_timeout = 1');
      expect((await one("SELECT current_setting('statement_timeout') AS v")).v).toBe('30s'); // the pool's default
    });

    it('a left-open BEGIN is rolled back: the next call is not inside it (its write commits at once)', async () => {
      await query('BEGIN');
      const outside = await pg.query<{ state: string }>(
        "SELECT state FROM pg_stat_activity WHERE application_name = 'athena:main' AND datname = current_database()",
      );
      expect(outside.rows.map((r) => r.state)).toEqual(['idle']);
      await query('INSERT INTO items VALUES (1)');
      // Visible to another session right away: it was not held in the earlier caller's transaction.
      expect((await pg.query('SELECT id FROM items ORDER BY id')).rows).toEqual([{ id: 1 }]);
      // A caller's own failed transaction does not poison the next call either.
      await query('BEGIN');
      const bad = await call(`${app.url}/gateway/query`, { method: 'POST', headers: H, json: { query: 'SELECT 1/0' } });
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect((await one('SELECT 1 AS ok')).ok).toBe(1);
    });

    it('temp tables, LISTEN, advisory locks and PREPAREd statements are dropped', async () => {
      await query('CREATE TEMP TABLE scratch (x int)');
      expect((await one("SELECT to_regclass('pg_temp.scratch')::text AS t")).t).toBeNull();
      await query('LISTEN some_channel');
      expect((await one('SELECT count(*)::int AS n FROM pg_listening_channels()')).n).toBe(0);
      await query('SELECT pg_advisory_lock(4242)');
      const locks = await pg.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242");
      expect(locks.rowCount).toBe(0);
      await query('PREPARE p AS SELECT 1');
      expect((await one('SELECT count(*)::int AS n FROM pg_prepared_statements')).n).toBe(0);
    });

    it('gateway statements are prepared once per shape, and prepared again after a raw-SQL reset or DDL', async () => {
      await pg.query('INSERT INTO items VALUES (10), (11)');
      const fetch = (id: number) =>
        call(`${app.url}/gateway/fetch`, {
          method: 'POST',
          headers: { ...H, 'cache-control': 'no-store' },
          json: { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: id }] },
        });
      expect((await fetch(10)).body.data).toEqual([{ id: 10 }]);
      expect((await fetch(11)).body.data).toEqual([{ id: 11 }]);
      // Raw SQL runs on the same connection before its reset: two fetches of one shape left one named statement.
      expect(await query('SELECT name, statement FROM pg_prepared_statements')).toEqual([
        { name: expect.stringMatching(/^athena_\d+$/), statement: expect.stringContaining('FROM "public"."items"') },
      ]);
      // That call's DISCARD ALL deallocated it: the next fetch on the same connection prepares it again.
      expect((await fetch(10)).body.data).toEqual([{ id: 10 }]);
      expect(await query('SELECT count(*)::int AS n FROM pg_prepared_statements')).toEqual([{ n: 1 }]);
      // DDL from another session changes the prepared SELECT's result type: the fetch prepares it again and answers.
      expect((await fetch(11)).body.data).toEqual([{ id: 11 }]);
      await pg.query('ALTER TABLE items ADD COLUMN note text');
      const after = await fetch(11);
      expect({ status: after.status, data: after.body.data }).toEqual({ status: 200, data: [{ id: 11, note: null }] });
    });

    it('/query/sql gets the same reset', async () => {
      const r = await call(`${app.url}/query/sql`, {
        method: 'POST',
        headers: H,
        json: { query: 'SET search_path TO other', driver: 'postgresql' },
      });
      expect(r.status).toBe(200);
      const s = await call(`${app.url}/query/sql`, {
        method: 'POST',
        headers: H,
        json: { query: "SELECT current_setting('search_path') AS v", driver: 'postgresql' },
      });
      expect(s.body.data).toEqual([{ v: '"$user", public' }]);
    });
  },
);
