import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

/**
 * Where the cache meets auth and the SQL executor, on real keys and a real PostgreSQL:
 * - callers with different rights never share a cached answer (the rights scope is part of the key), and a
 *   caller without the right is refused even when an answer is cached;
 * - `POST /query/sql` needs `gateway.query` when enforcement is on, and a write through it invalidates the
 *   client's cached reads like `/gateway/query` does.
 */
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;

describeWith('postgres')('cache × auth × /query/sql (real app, real keys, real PostgreSQL)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  const saved = process.env.ATHENA_KEY_12;
  const keys: Record<string, string> = {};
  const admin = (method: string, path: string, json?: unknown) =>
    call(`${app.url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY }, json });
  const as = (name: string): Record<string, string> => (keys[name] ? { authorization: `Bearer ${keys[name]}` } : {});
  const fetchItems = (who: string, extra: Record<string, string> = {}) =>
    call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', ...as(who), ...extra },
      json: { table_name: 'items', columns: ['id', 'name'], sort_by: { field: 'id' } },
    });
  const sql = (who: string, query: string) =>
    call(`${app.url}/query/sql`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', ...as(who) },
      json: { query, driver: 'postgresql' },
    });

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('cacheauth_control');
    data = await createTestDatabase('cacheauth_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(
      `CREATE TABLE items (id integer PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'apple'), (2, 'banana');`,
    );
    await d.end();
    app = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        pool: { statement_timeout_ms: 1000 },
        sql: { statement_timeout_ms: 1000 },
      },
      postgres_clients: { main: data.uri },
      api: { cache_ttl_seconds: 300 },
    });
    for (const right of ['items.read'])
      expect((await admin('POST', '/admin/api-key-rights', { name: right })).status).toBe(201);
    for (const [name, rights] of [
      ['reader', ['items.read']],
      ['reader2', ['items.read']],
      ['broad', ['gateway.read', 'gateway.query']],
      ['nothing', ['gateway.write']],
    ] as const) {
      const r = await admin('POST', '/admin/api-keys', { name, rights });
      expect(r.status).toBe(201);
      keys[name] = r.body.data.api_key;
    }
    expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await data?.drop();
    await control?.drop();
    if (saved === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = saved;
  });

  it('keys with different rights get separate entries; keys with the same rights share one', async () => {
    const first = await fetchItems('reader');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-athena-cache')).toBe('miss');
    const again = await fetchItems('reader');
    expect(again.headers.get('x-athena-cache')).toBe('hit');
    expect(again.body.cache_key).toBe(first.body.cache_key);

    // Another key with exactly the same rights may see exactly the same rows: same scope, same entry.
    const same = await fetchItems('reader2');
    expect(same.headers.get('x-athena-cache')).toBe('hit');

    // A key with other rights never reads the first key's entry, even for the same request.
    const broad = await fetchItems('broad');
    expect(broad.status).toBe(200);
    expect(broad.headers.get('x-athena-cache')).toBe('miss');
    expect(broad.body.data).toEqual(first.body.data);

    // The admin key is a scope of its own too.
    const adm = await fetchItems('none', { 'x-athena-admin-key': ADMIN_KEY });
    expect(adm.status).toBe(200);
    expect(adm.headers.get('x-athena-cache')).toBe('miss');
  });

  it('a cached answer is never served to a caller who lacks the right, or has no key', async () => {
    const denied = await fetchItems('nothing');
    expect(denied.status).toBe(403);
    expect(denied.body.data).toBeUndefined();
    expect(denied.headers.get('x-athena-cache')).toBeNull();
    const anonymous = await fetchItems('none');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.data).toBeUndefined();
  });

  it('/query/sql needs gateway.query under enforcement', async () => {
    expect((await sql('none', 'SELECT 1 AS one')).status).toBe(401);
    const noRight = await sql('reader', 'SELECT 1 AS one');
    expect(noRight.status).toBe(403);
    const ok = await sql('broad', 'SELECT 1 AS one');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'success', data: [{ one: 1 }], db_name: 'main' });
  });

  it('a write through /query/sql invalidates the cached reads of the client; a plain read does not', async () => {
    expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('hit');
    expect((await sql('broad', 'SELECT count(*)::int AS n FROM items')).status).toBe(200);
    expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('hit');

    const upd = await sql('broad', "UPDATE items SET name = 'avocado' WHERE id = 1");
    expect(upd.status).toBe(200);
    const after = await fetchItems('reader');
    expect(after.headers.get('x-athena-cache')).toBe('miss');
    expect(after.body.data).toEqual([
      { id: 1, name: 'avocado' },
      { id: 2, name: 'banana' },
    ]);
  });

  it('a write that fails with a 5xx (it may have been applied) still drops the cached reads', async () => {
    const slowWrite = 'UPDATE items SET name = name WHERE id = 1 AND pg_sleep(1.5) IS NOT NULL';
    for (const [route, body] of [
      ['/query/sql', { query: slowWrite, driver: 'postgresql' }],
      ['/gateway/query', { query: slowWrite }],
    ] as const) {
      await fetchItems('reader');
      expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('hit');
      const r = await call(`${app.url}${route}`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main', ...as('broad') },
        json: body,
      });
      expect(r.status).toBeGreaterThanOrEqual(500);
      expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('miss');
    }
    // A failing plain read does not.
    expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('hit');
    const slowRead = await sql('broad', 'SELECT pg_sleep(1.5)');
    expect(slowRead.status).toBeGreaterThanOrEqual(500);
    expect((await fetchItems('reader')).headers.get('x-athena-cache')).toBe('hit');
  });

  it("/query/sql naming its client by db_name (no X-Athena-Client) gets that client's enforcement and key binding", async () => {
    // Enforcement off globally, on for "main" only: the client comes from the body, after stage 1 ran.
    expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: false })).status).toBe(200);
    expect((await admin('PUT', '/admin/api-key-clients/main', { enforce_api_keys: true })).status).toBe(200);
    const viaDbName = (headers: Record<string, string>) =>
      call(`${app.url}/query/sql`, {
        method: 'POST',
        headers,
        json: { query: 'SELECT 1 AS one', driver: 'postgresql', db_name: 'main' },
      });
    const anonymous = await viaDbName({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.data).toBeUndefined();
    expect((await viaDbName(as('reader'))).status).toBe(403); // key without gateway.query
    const ok = await viaDbName(as('broad'));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ db_name: 'main', data: [{ one: 1 }] });

    // A key bound to another client cannot reach "main" through db_name either.
    const r = await admin('POST', '/admin/api-keys', {
      name: 'bound-elsewhere',
      rights: ['gateway.query'],
      client_name: 'elsewhere',
    });
    expect(r.status).toBe(201);
    const bound = await viaDbName({ authorization: `Bearer ${r.body.data.api_key}` });
    expect(bound.status).toBe(403);
    expect(bound.body.message).toMatch(/client/i);
  });
});
