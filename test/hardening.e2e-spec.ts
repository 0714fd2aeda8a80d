import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

/**
 * Hardening (issue 16): caller input never yields a 500, secrets never reach a log line or a stored row,
 * overload and half-broken backends are answered truthfully. Real app, real PostgreSQL, real HTTP.
 */
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const SCHEMA = `
  CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, tags text[], meta jsonb, qty integer);
  INSERT INTO items (id, name, tags, meta, qty) VALUES (1, 'apple', '{red}', '{"a":1}', 5), (2, 'banana', '{yellow}', NULL, 7);
  SELECT setval('items_id_seq', 100);
`;

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}

describeWith('postgres')('hardening (issue 16): real app, real PostgreSQL', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let cp: Client;
  const saved = process.env.ATHENA_KEY_12;
  const H = { 'x-athena-client': 'main' };
  const A = { 'x-athena-admin-key': ADMIN_KEY };
  const admin = (method: string, path: string, json?: unknown) => call(`${app.url}${path}`, { method, headers: A, json });

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('h8_control');
    data = await createTestDatabase('h8_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(SCHEMA);
    await d.end();
    app = await bootApp({ gateway: { logging_pg_uri: control.uri }, postgres_clients: { main: data.uri } });
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await cp?.end();
    await data?.drop();
    await control?.drop();
    if (saved === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = saved;
  });

  describe('(1) secrets in the query string', () => {
    it('?%61pi_key= (percent-encoded name) is read as api_key and redacted from the log and gateway_request_log', async () => {
      expect((await admin('POST', '/admin/api-key-rights', { name: 'items.read' })).status).toBe(201);
      const created = await admin('POST', '/admin/api-keys', { name: 'h8-reader', rights: ['items.read'] });
      expect(created.status).toBe(201);
      const key: string = created.body.data.api_key;
      const secret = key.split('.')[1];
      expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
      try {
        const r = await call(`${app.url}/data?view=items&%61pi_key=${key}`, { headers: H });
        expect(r.status).toBe(200);
        const r2 = await call(`${app.url}/data?view=items&api%5Fkey=${key}&x=1`, { headers: H });
        expect(r2.status).toBe(200);
        const stored = await until(
          () => cp.query(`SELECT query_string FROM gateway_request_log WHERE path = '/data' AND query_string LIKE '%pi%'`),
          (res) => res.rows.length >= 2,
        );
        expect(stored.rows.map((x) => x.query_string).sort()).toEqual(['view=items&%61pi_key=[REDACTED]', 'view=items&api%5Fkey=[REDACTED]&x=1']);
        const auth = await cp.query(`SELECT count(*)::int AS n FROM api_key_auth_log WHERE key_source = 'query:api_key'`);
        expect(auth.rows[0].n).toBeGreaterThanOrEqual(2);
        // An unknown key sent the same way: refused, and still never logged.
        const wrong = `ath_${randomBytes(8).toString('hex')}.${randomBytes(32).toString('hex')}`;
        const r3 = await call(`${app.url}/data?view=items&%61%70%69%6B%65%79=${wrong}`, { headers: H });
        expect(r3.status).toBe(401);
        expect(app.logs.text()).not.toContain(secret);
        expect(app.logs.text()).not.toContain(wrong.split('.')[1]);
      } finally {
        expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: false })).status).toBe(200);
      }
    });
  });
});
