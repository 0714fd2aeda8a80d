import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

/** A URI to the test database through another host spelling / credentials, for "distinct URI" cases. */
function withHost(uri: string, host: string): string {
  const u = new URL(uri);
  u.hostname = host;
  return u.toString();
}

describeWith('postgres')('direct connections (X-JDBC-URL / x-pg-uri)', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  let other: TestDatabase;
  let off: TestApp;
  let on: TestApp;
  let roomy: TestApp;

  beforeAll(async () => {
    control = await createTestDatabase('direct_control');
    data = await createTestDatabase('direct_data');
    other = await createTestDatabase('direct_other');
    for (const db of [data, other]) {
      const pg = new Client({ connectionString: db.uri });
      await pg.connect();
      await pg.query(
        `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, '${db === data ? 'apple' : 'other'}')`,
      );
      await pg.query('CREATE VIEW slow_items AS SELECT id, name FROM items CROSS JOIN pg_sleep(0.3)');
      await pg.end();
    }
    off = await bootApp({ gateway: { logging_pg_uri: control.uri } });
    on = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        run_migrations: false,
        direct_connections: {
          enabled: true,
          allowed_hosts: ['127.0.0.1'],
          max_uris: 1,
          idle_evict_ms: 1500,
          pool_max: 2,
        },
      },
    });
    // one slot that stays taken for a minute once a pool opens: failures must not take it
    roomy = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        run_migrations: false,
        direct_connections: {
          enabled: true,
          allowed_hosts: ['127.0.0.1'],
          max_uris: 1,
          idle_evict_ms: 60_000,
          pool_max: 4,
        },
      },
    });
  });

  afterAll(async () => {
    await off?.close();
    await on?.close();
    await roomy?.close();
    await data?.drop();
    await other?.drop();
    await control?.drop();
  });

  const fetchOn = (app: TestApp, headers: Record<string, string>) =>
    call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers,
      json: { table_name: 'items', columns: ['id', 'name'] },
    });

  it('off by default: 403 direct_connection_not_allowed, even alongside X-Athena-Client', async () => {
    for (const h of ['x-pg-uri', 'X-JDBC-URL', 'x-athena-jdbc-url']) {
      const r = await fetchOn(off, { [h]: data.uri });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ status: 'error', code: 'direct_connection_not_allowed' });
    }
    const r = await fetchOn(off, { 'x-pg-uri': data.uri, 'x-athena-client': 'whatever' });
    expect(r.body.code).toBe('direct_connection_not_allowed');
  });

  it('an allowed host works on the gateway routes and /query/sql (jdbc: prefix accepted)', async () => {
    let r = await fetchOn(on, { 'x-pg-uri': data.uri });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([{ id: 1, name: 'apple' }]);
    r = await fetchOn(on, { 'X-JDBC-URL': `jdbc:${data.uri.replace(/^postgres:/, 'postgresql:')}` });
    expect(r.status).toBe(200);
    const s = await call(`${on.url}/query/sql`, {
      method: 'POST',
      headers: { 'x-pg-uri': data.uri },
      json: { query: 'SELECT name FROM items', driver: 'postgresql' },
    });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ data: [{ name: 'apple' }], db_name: 'direct_connection' });
  });

  it('direct-connection reads are never cached (their per-process id cannot be invalidated by other instances)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await fetchOn(on, { 'x-pg-uri': data.uri });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-athena-cache')).toBe('bypass');
    }
  });

  it('a host outside the allow-list → 403 direct_connection_host_not_allowed', async () => {
    const r = await fetchOn(on, { 'x-pg-uri': withHost(data.uri, 'localhost') });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('direct_connection_host_not_allowed');
  });

  it('a malformed URI → 400 invalid_direct_connection_uri', async () => {
    for (const bad of ['mysql://u:p@127.0.0.1/db', 'postgres://u:p@127.0.0.1/db?host=/tmp', 'not a uri']) {
      const r = await fetchOn(on, { 'x-pg-uri': bad });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_direct_connection_uri');
    }
  });

  it('a URI without user or password → 400, even when the gateway process has PGUSER/PGPASSWORD (no confused deputy)', async () => {
    const saved = { PGUSER: process.env.PGUSER, PGPASSWORD: process.env.PGPASSWORD };
    const admin = new URL(data.uri);
    process.env.PGUSER = decodeURIComponent(admin.username);
    process.env.PGPASSWORD = decodeURIComponent(admin.password);
    try {
      const bare = new URL(data.uri);
      bare.username = '';
      bare.password = '';
      const userOnly = new URL(data.uri);
      userOnly.password = '';
      for (const uri of [bare.toString(), userOnly.toString()]) {
        const r = await fetchOn(on, { 'x-pg-uri': uri });
        expect(r.status).toBe(400);
        expect(r.body.code).toBe('invalid_direct_connection_uri');
        expect(r.body.error).toContain('user name and a password');
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('only allow-listed query parameters: sslcert/sslkey/sslrootcert/passfile/options/user → 400 naming the parameter', async () => {
    for (const p of [
      'sslrootcert=/etc/passwd',
      'sslcert=/etc/hostname',
      'sslkey=/etc/hostname',
      'passfile=/etc/passwd',
      'options=-c%20search_path%3Devil',
      'user=postgres',
      'sslmode=disable&hostaddr=10.0.0.1',
    ]) {
      const r = await fetchOn(on, { 'x-pg-uri': `${data.uri}?${p}` });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_direct_connection_uri');
      const name = p.split('&').pop()!.split('=')[0];
      expect(r.body.error).toContain(`"${name}"`);
    }
    const bad = await fetchOn(on, { 'x-pg-uri': `${data.uri}?sslmode=bogus` });
    expect(bad.status).toBe(400);
    const m = await call(`${on.url}/metrics`);
    expect(m.text).toMatch(/athena_direct_connection_refusals_total\{reason="invalid_uri"\} [1-9]/);
  });

  it('the cap on distinct URIs → 503 direct_connection_limit_reached with Retry-After; idle pools are evicted', async () => {
    const r = await fetchOn(on, { 'x-pg-uri': other.uri });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('direct_connection_limit_reached');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    // after idle_evict_ms the first pool is closed and the slot frees up
    await new Promise((res) => setTimeout(res, 2500));
    const later = await fetchOn(on, { 'x-pg-uri': other.uri });
    expect(later.status).toBe(200);
    expect(later.body.data).toEqual([{ id: 1, name: 'other' }]);
    const m = await call(`${on.url}/metrics`);
    expect(m.text).toMatch(/athena_direct_connection_refusals_total\{reason="limit"\} [1-9]/);
    expect(m.text).toMatch(/athena_direct_connection_pools 1/);
  });

  it('a URI whose first connection fails → 502 direct_connection_failed and holds no slot', async () => {
    const wrong = new URL(data.uri);
    wrong.password = 'definitely-not-the-password';
    const nodb = new URL(data.uri);
    nodb.pathname = '/no_such_database_here';
    // concurrent first requests for one URI share its opening; distinct URIs one after the other each get the slot
    const attempts = await Promise.all([wrong, wrong].map((u) => fetchOn(roomy, { 'x-pg-uri': u.toString() })));
    attempts.push(
      await fetchOn(roomy, { 'x-pg-uri': nodb.toString() }),
      await fetchOn(roomy, { 'x-pg-uri': wrong.toString() }),
    );
    for (const r of attempts) {
      expect(r.status).toBe(502);
      expect(r.body.code).toBe('direct_connection_failed');
      expect(r.body.error).not.toContain('definitely-not-the-password');
    }
    let m = await call(`${roomy.url}/metrics`);
    expect(m.text).toMatch(/athena_direct_connection_pools 0/);
    expect(m.text).toMatch(/athena_direct_connection_refusals_total\{reason="connect_failed"\} [1-9]/);
    // the single slot is still free for a URI that works (allow-listed parameters accepted)
    const good = await fetchOn(roomy, {
      'x-pg-uri': `${data.uri}?sslmode=disable&application_name=athena_direct_test&connect_timeout=5`,
    });
    expect(good.status).toBe(200);
    expect(good.body.data).toEqual([{ id: 1, name: 'apple' }]);
    m = await call(`${roomy.url}/metrics`);
    expect(m.text).toMatch(/athena_direct_connection_pools 1/);
  });

  it('metrics label direct connections `direct_connection`, never a per-URI id (singleflight included)', async () => {
    const uri = `${data.uri}?sslmode=disable&application_name=athena_direct_test&connect_timeout=5`; // the pool opened above
    const body = { table_name: 'slow_items', columns: ['id', 'name'] };
    const rs = await Promise.all(
      [0, 1, 2, 3].map(() =>
        call(`${roomy.url}/gateway/fetch`, { method: 'POST', headers: { 'x-pg-uri': uri }, json: body }),
      ),
    );
    for (const r of rs) expect(r.status).toBe(200);
    const m = (await call(`${roomy.url}/metrics`)).text;
    expect(m).toMatch(/athena_gateway_singleflight_shared_total\{client="direct_connection"\} [1-9]/);
    expect(m).not.toMatch(/direct:[0-9a-f]/);
    expect(m).not.toMatch(/client="[^"]*[0-9a-f]{12}[^"]*"/);
  });

  it('URIs never appear in logs, responses or metrics', async () => {
    await new Promise((res) => setTimeout(res, 200));
    const pw = new URL(data.uri).password;
    for (const text of [on.logs.text(), off.logs.text(), roomy.logs.text(), (await call(`${on.url}/metrics`)).text]) {
      expect(text).not.toContain(data.uri);
      expect(text).not.toContain(other.uri);
      if (pw) expect(text).not.toContain(`:${pw}@`);
    }
  });
});
