import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AuthClock } from '@athena/auth';
import { AUTH_CHANGED_CHANNEL, ControlPlaneEvents } from '@athena/store';
import { waitFor } from './support/processes';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

/**
 * Auth end to end: the static admin key, API keys with rights, enforcement (global and per client),
 * the auth log and cross-instance cache invalidation — two real app instances on one control plane.
 */
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const SCHEMA = `
  CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
  INSERT INTO items (id, name) VALUES (1, 'apple'), (2, 'banana');
  SELECT setval('items_id_seq', 100);
  CREATE SCHEMA other;
  CREATE TABLE other.things (id integer PRIMARY KEY, label text);
  INSERT INTO other.things VALUES (1, 'one');
`;

type Cred = Record<string, string>;
type Op = 'fetch' | 'insert' | 'update' | 'delete' | 'query' | 'admin';
const OPS: Op[] = ['fetch', 'insert', 'update', 'delete', 'query', 'admin'];

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 4000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}

describeWith('postgres')(
  'auth: admin key, API keys, rights, enforcement, auth log (real apps, real PostgreSQL)',
  () => {
    let a: TestApp;
    let b: TestApp;
    let control: TestDatabase;
    let data: TestDatabase;
    let cp: Client;
    let seq = 0;
    const savedAdminKey = process.env.ATHENA_KEY_12;
    const keys: Record<string, { key: string; id: string; public_id: string }> = {};

    const admin = (app: TestApp, method: string, path: string, json?: unknown, extra: Cred = {}) =>
      call(`${app.url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY, ...extra }, json });
    const bearer = (k: string): Cred => ({ authorization: `Bearer ${k}` });

    function op(app: TestApp, o: Op, cred: Cred, client = 'main') {
      const h = { 'x-athena-client': client, ...cred };
      const u = app.url;
      switch (o) {
        case 'fetch':
          return call(`${u}/gateway/fetch`, { method: 'POST', headers: h, json: { table_name: 'items', limit: 1 } });
        case 'insert':
          return call(`${u}/gateway/insert`, {
            method: 'PUT',
            headers: h,
            json: { table_name: 'items', insert_body: { name: `n${++seq}-${randomBytes(3).toString('hex')}` } },
          });
        case 'update':
          return call(`${u}/gateway/update`, {
            method: 'POST',
            headers: h,
            json: {
              table_name: 'items',
              conditions: [{ eq_column: 'name', eq_value: 'nothing' }],
              update_body: { name: 'x' },
            },
          });
        case 'delete':
          return call(`${u}/gateway/delete`, {
            method: 'DELETE',
            headers: h,
            json: { table_name: 'items', resource_id: 999999 },
          });
        case 'query':
          return call(`${u}/gateway/query`, { method: 'POST', headers: h, json: { query: 'SELECT 1 AS one' } });
        case 'admin':
          return call(`${u}/admin/api-key-config`, { method: 'GET', headers: cred });
      }
    }

    async function createKey(name: string, body: Record<string, unknown>) {
      const r = await admin(a, 'POST', '/admin/api-keys', { name, ...body });
      expect(r.status).toBe(201);
      keys[name] = { key: r.body.data.api_key, id: r.body.data.record.id, public_id: r.body.data.record.public_id };
      return keys[name];
    }

    async function setGlobal(enforce: boolean) {
      const r = await admin(a, 'PUT', '/admin/api-key-config', { enforce_api_keys: enforce });
      expect(r.status).toBe(200);
      expect(r.body.data.global.enforce_api_keys).toBe(enforce);
    }

    beforeAll(async () => {
      process.env.ATHENA_KEY_12 = ADMIN_KEY;
      control = await createTestDatabase('auth_control');
      data = await createTestDatabase('auth_data');
      const d = new Client({ connectionString: data.uri });
      await d.connect();
      await d.query(SCHEMA);
      await d.end();
      const cfg = { gateway: { logging_pg_uri: control.uri }, postgres_clients: { main: data.uri, second: data.uri } };
      a = await bootApp(cfg);
      b = await bootApp(cfg);
      cp = new Client({ connectionString: control.uri });
      await cp.connect();
      for (const name of ['items.read', 'items.write', 'items.delete', 'items.*', '*.read', 'orders.read']) {
        const r = await admin(a, 'POST', '/admin/api-key-rights', { name, description: `test ${name}` });
        expect(r.status).toBe(201);
      }
      await createKey('exact', { rights: ['items.read', 'items.write', 'items.delete', 'gateway.query'] });
      await createKey('wildcard', { rights: ['gateway.*'] });
      await createKey('star-read', { rights: ['*.read'] });
      await createKey('table-star', { rights: ['items.*'] });
      await createKey('missing-right', { rights: ['orders.read'] });
      await createKey('other-client', { rights: ['*'], client_name: 'second' });
      const inactive = await createKey('inactive', { rights: ['*'] });
      expect((await admin(a, 'PATCH', `/admin/api-keys/${inactive.id}`, { is_active: false })).status).toBe(200);
      const expired = await createKey('expired', {
        rights: ['*'],
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      });
      // Not used yet, so not cached anywhere: move its expiry into the past directly.
      await cp.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE api_keys_id = $1`, [
        expired.id,
      ]);
    }, 120_000);

    afterAll(async () => {
      await a?.close();
      await b?.close();
      await cp?.end();
      await data?.drop();
      await control?.drop();
      if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
      else process.env.ATHENA_KEY_12 = savedAdminKey;
    });

    const WRONG = `ath_${randomBytes(8).toString('hex')}.${randomBytes(32).toString('hex')}`;
    const credential = (name: string): Cred => {
      switch (name) {
        case 'none':
          return {};
        case 'wrong':
          return bearer(WRONG);
        case 'admin':
          return { 'x-athena-admin-key': ADMIN_KEY };
        default:
          return bearer(keys[name].key);
      }
    };

    // Expected status per credential × operation with enforcement on for client "main".
    const ON: Record<string, [number, string | null][]> = {
      none: [...Array(5).fill([401, 'API key required']), [401, 'Unauthorized']],
      wrong: [...Array(5).fill([401, 'Invalid API key']), [401, 'Unauthorized']],
      inactive: [...Array(5).fill([401, 'Inactive API key']), [401, 'Unauthorized']],
      expired: [...Array(5).fill([401, 'Expired API key']), [401, 'Unauthorized']],
      'other-client': [...Array(5).fill([403, 'API key client mismatch']), [401, 'Unauthorized']],
      'missing-right': [...Array(5).fill([403, 'Insufficient API key rights']), [401, 'Unauthorized']],
      wildcard: [...Array(5).fill([200, null]), [401, 'Unauthorized']],
      'star-read': [[200, null], ...Array(4).fill([403, 'Insufficient API key rights']), [401, 'Unauthorized']],
      'table-star': [...Array(4).fill([200, null]), [403, 'Insufficient API key rights'], [401, 'Unauthorized']],
      exact: [...Array(5).fill([200, null]), [401, 'Unauthorized']],
      admin: Array(6).fill([200, null]),
    };
    const OFF_STATUS = (name: string, o: Op) => (o === 'admin' ? (name === 'admin' ? 200 : 401) : 200);

    async function matrix(
      app: TestApp,
      expectFor: (name: string, i: number, o: Op) => [number, string | null],
      client = 'main',
    ) {
      const problems: string[] = [];
      for (const name of Object.keys(ON)) {
        for (const [i, o] of OPS.entries()) {
          const r = await op(app, o, credential(name), client);
          const [status, message] = expectFor(name, i, o);
          if (r.status !== status || (message !== null && r.body?.message !== message)) {
            problems.push(
              `${name} × ${o}: expected ${status} ${message ?? ''}, got ${r.status} ${r.body?.message ?? ''} (${r.body?.error ?? ''})`,
            );
          }
          if (r.status >= 400)
            expect(r.body).toMatchObject({ status: 'error', code: expect.stringMatching(/^[a-z_]+$/) });
        }
      }
      expect(problems).toEqual([]);
    }

    describe('enforcement on (global)', () => {
      beforeAll(() => setGlobal(true));

      it('the authorization matrix: {no key … admin key} × {fetch, insert, update, delete, query, admin route}', async () => {
        await matrix(a, (name, i) => ON[name][i]);
      });

      it('the same matrix holds on the second instance (shared control plane)', async () => {
        await matrix(b, (name, i) => ON[name][i]);
      });

      it('schema-qualified and missing tables need the gateway-wide right', async () => {
        const q = (cred: Cred) =>
          call(`${a.url}/gateway/fetch`, {
            method: 'POST',
            headers: { 'x-athena-client': 'main', ...cred },
            json: { table_name: 'other.things' },
          });
        expect((await q(bearer(keys.exact.key))).status).toBe(403); // items.read does not cover gateway.read
        expect((await q(bearer(keys['star-read'].key))).status).toBe(200); // *.read covers gateway.read
        expect((await q(bearer(keys.wildcard.key))).status).toBe(200);
        const r = await q(bearer(keys['missing-right'].key));
        expect(r.body.error).toContain('"gateway.read"');
        // GET /data takes the table from ?view=
        const g = await call(`${a.url}/data?view=items&limit=1`, {
          headers: { 'x-athena-client': 'main', ...bearer(keys.exact.key) },
        });
        expect(g.status).toBe(200);
        const g2 = await call(`${a.url}/data?view=items`, {
          headers: { 'x-athena-client': 'main', ...bearer(keys['missing-right'].key) },
        });
        expect(g2.status).toBe(403);
      });

      it('every header source works; a query-string key works but is redacted from logs and stored URLs', async () => {
        for (const h of ['apikey', 'x-api-key', 'x-athena-key']) {
          const r = await call(`${a.url}/gateway/fetch`, {
            method: 'POST',
            headers: { 'x-athena-client': 'main', [h]: keys.exact.key },
            json: { table_name: 'items' },
          });
          expect(r.status).toBe(200);
        }
        const secret = keys.exact.key.split('.')[1];
        const r = await call(`${a.url}/data?view=items&api_key=${keys.exact.key}`, {
          headers: { 'x-athena-client': 'main' },
        });
        expect(r.status).toBe(200);
        const r2 = await call(`${a.url}/data?view=items&apikey=${WRONG}`, { headers: { 'x-athena-client': 'main' } });
        expect(r2.status).toBe(401);
        const metrics = await call(`${a.url}/metrics`);
        expect(metrics.text).toMatch(/athena_auth_deprecated_query_key_total\{source="query:api_key"\} [1-9]/);
        const stored = await until(
          () =>
            cp.query(
              `SELECT query_string FROM gateway_request_log WHERE path = '/data' AND query_string LIKE '%api_key=%'`,
            ),
          (res) => res.rows.length > 0,
        );
        expect(stored.rows.length).toBeGreaterThan(0);
        for (const row of stored.rows) {
          expect(row.query_string).toContain('api_key=[REDACTED]');
          expect(row.query_string).not.toContain(secret);
        }
        expect(a.logs.text()).toContain('deprecated transport');
        expect(a.logs.text()).not.toContain(secret);
      });

      it('authenticates before the body is parsed: no/invalid key + malformed JSON → 401, not 400', async () => {
        const raw = (path: string, headers: Cred, method = 'POST') =>
          call(`${a.url}${path}`, {
            method,
            headers: { 'content-type': 'application/json', ...headers },
            body: '{"table_name": ',
          });
        const noKey = await raw('/gateway/fetch', { 'x-athena-client': 'main' });
        expect([noKey.status, noKey.body.message]).toEqual([401, 'API key required']);
        const wrong = await raw('/gateway/insert', { 'x-athena-client': 'main', ...bearer(WRONG) }, 'PUT');
        expect([wrong.status, wrong.body.message]).toEqual([401, 'Invalid API key']);
        const mismatch = await raw(
          '/gateway/delete',
          { 'x-athena-client': 'main', ...bearer(keys['other-client'].key) },
          'DELETE',
        );
        expect([mismatch.status, mismatch.body.message]).toEqual([403, 'API key client mismatch']);
        const adminNoKey = await raw('/admin/api-keys', {});
        expect([adminNoKey.status, adminNoKey.body.code]).toEqual([401, 'invalid_admin_key']);
        // Authenticated callers get the body error as before.
        const authed = await raw('/gateway/fetch', { 'x-athena-client': 'main', ...bearer(keys.exact.key) });
        expect([authed.status, authed.body.code]).toEqual([400, 'invalid_json']);
      });

      it('malformed keys are 401 Invalid API key (no prefix, no dot, empty parts, 10 KB, non-ASCII)', async () => {
        const pub = keys.exact.public_id;
        const secret = keys.exact.key.split('.')[1];
        const bad = [
          secret,
          `ath_${pub}${secret}`,
          `ath_.${secret}`,
          `ath_${pub}.`,
          `ath_${pub}.${'a'.repeat(10_240)}`,
          `ath_${pub}.${secret.slice(0, 63)}\u00e9`,
          'ath_',
          'Bearer',
        ];
        for (const k of bad) {
          const r = await call(`${a.url}/gateway/fetch`, {
            method: 'POST',
            headers: { 'x-athena-client': 'main', 'x-api-key': k },
            json: { table_name: 'items' },
          });
          expect([r.status, r.body.code, r.body.message]).toEqual([401, 'invalid_api_key', 'Invalid API key']);
        }
        const enc = await call(
          `${a.url}/data?view=items&api_key=${encodeURIComponent(`ath_${pub}.${secret.slice(0, 63)}\u00fc`)}`,
          { headers: { 'x-athena-client': 'main' } },
        );
        expect(enc.status).toBe(401);
      });

      it('a key with the right secret prefix but a wrong secret is rejected (no partial match)', async () => {
        const [head, secret] = keys.exact.key.split('.');
        const flipped = `${head}.${secret.slice(0, 63)}${secret.endsWith('0') ? '1' : '0'}`;
        const r = await op(a, 'fetch', bearer(flipped));
        expect([r.status, r.body.message]).toEqual([401, 'Invalid API key']);
      });

      it('writes api_key_auth_log rows (public id, hash prefix, rights, outcome, reason) without secrets or hashes', async () => {
        const rows = await until(
          () => cp.query(`SELECT * FROM api_key_auth_log ORDER BY id`),
          // Rows arrive in batches: wait for every row asserted below, not just the first batch.
          (res) =>
            res.rows.some((r) => r.reason === 'api_key_client_mismatch') &&
            res.rows.some((r) => r.reason === 'ok' && r.api_key_id === keys.exact.id) &&
            res.rows.some(
              (r) =>
                r.reason === 'insufficient_api_key_rights' && r.presented_public_id === keys['missing-right'].public_id,
            ) &&
            [
              'api_key_required',
              'invalid_api_key',
              'inactive_api_key',
              'expired_api_key',
              'admin_key',
              'invalid_admin_key',
            ].every((reason) => res.rows.some((r) => r.reason === reason)),
        );
        const byReason = (reason: string) => rows.rows.filter((r) => r.reason === reason);
        const denied = byReason('insufficient_api_key_rights').find(
          (r) => r.presented_public_id === keys['missing-right'].public_id,
        );
        expect(denied).toMatchObject({
          api_key_id: keys['missing-right'].id,
          enforced: true,
          authenticated: true,
          authorized: false,
          outcome: 'denied',
          client_name: 'main',
          method: 'POST',
          path: '/gateway/fetch',
          required_rights: ['items.read'],
          granted_rights: ['orders.read'],
          key_source: 'authorization',
          credential: 'api_key',
        });
        expect(denied.presented_hash_prefix).toMatch(/^[0-9a-f]{12}$/);
        expect(denied.request_id).toBeTruthy();
        const okRow = byReason('ok').find((r) => r.api_key_id === keys.exact.id);
        expect(okRow).toMatchObject({ authenticated: true, authorized: true, outcome: 'allowed' });
        expect(byReason('api_key_required').length).toBeGreaterThan(0);
        expect(byReason('invalid_api_key').some((r) => r.api_key_id === null && r.authenticated === false)).toBe(true);
        expect(byReason('inactive_api_key').some((r) => r.api_key_id === keys.inactive.id)).toBe(true);
        expect(byReason('expired_api_key').some((r) => r.api_key_id === keys.expired.id)).toBe(true);
        expect(
          byReason('admin_key').some((r) => r.credential === 'admin_key' && r.presented_hash_prefix === null),
        ).toBe(true);
        expect(byReason('invalid_admin_key').length).toBeGreaterThan(0);
        // Nothing secret anywhere: not in the auth log, not in any log line, not in any admin response.
        const stored = await cp.query(`SELECT key_hash, key_salt FROM api_keys`);
        const dump = JSON.stringify(rows.rows);
        const logs = a.logs.text() + b.logs.text();
        const list = (await admin(a, 'GET', '/admin/api-keys')).text;
        for (const k of Object.values(keys)) {
          const secret = k.key.split('.')[1];
          for (const text of [dump, logs, list]) expect(text).not.toContain(secret);
        }
        for (const s of stored.rows) {
          for (const text of [dump, logs, list]) {
            expect(text).not.toContain(s.key_hash);
            expect(text).not.toContain(s.key_salt);
          }
        }
        expect(logs).not.toContain(ADMIN_KEY);
      });

      it('updates last_used_at asynchronously', async () => {
        await op(a, 'fetch', bearer(keys.exact.key));
        const r = await until(
          () => cp.query(`SELECT last_used_at FROM api_keys WHERE api_keys_id = $1`, [keys.exact.id]),
          (res) => res.rows[0].last_used_at !== null,
          6000,
        );
        expect(r.rows[0].last_used_at).not.toBeNull();
        const listed = await admin(a, 'GET', '/admin/api-keys');
        expect(
          listed.body.data.api_keys.find((k: { id: string }) => k.id === keys.exact.id).last_used_at,
        ).not.toBeNull();
        expect(listed.body.data.api_keys.find((k: { id: string }) => k.id === keys.wildcard.id)).toBeDefined();
      });

      it('counts auth outcomes by reason in /metrics', async () => {
        const m = (await call(`${a.url}/metrics`)).text;
        expect(m).toMatch(
          /athena_auth_outcomes_total\{outcome="denied",reason="insufficient_api_key_rights",enforced="true"\} [1-9]/,
        );
        expect(m).toMatch(/athena_auth_outcomes_total\{outcome="allowed",reason="ok",enforced="true"\} [1-9]/);
        expect(m).toMatch(/athena_auth_key_cache_total\{result="hit"\} [1-9]/);
      });
    });

    describe('cache invalidation across instances', () => {
      beforeAll(() => setGlobal(true));

      it('PATCH on instance A reaches the key cached on instance B at once (LISTEN/NOTIFY, not the TTL)', async () => {
        const k = await createKey('rotating', { rights: ['items.read'] });
        expect((await op(b, 'fetch', bearer(k.key))).status).toBe(200); // now cached on B
        expect((await op(b, 'fetch', bearer(k.key))).status).toBe(200);
        const started = Date.now();
        expect((await admin(a, 'PATCH', `/admin/api-keys/${k.id}`, { rights: ['orders.read'] })).status).toBe(200);
        // The same instance sees it before the PATCH response returns.
        expect((await op(a, 'fetch', bearer(k.key))).status).toBe(403);
        const onB = await until(
          () => op(b, 'fetch', bearer(k.key)),
          (r) => r.status === 403,
          3000,
        );
        expect(onB.body.message).toBe('Insufficient API key rights');
        expect(Date.now() - started).toBeLessThan(3000); // the key cache TTL is 10 s: this was the notification
        expect((await admin(a, 'PATCH', `/admin/api-keys/${k.id}`, { is_active: false })).status).toBe(200);
        expect(
          (
            await until(
              () => op(b, 'fetch', bearer(k.key)),
              (r) => r.status === 401,
              3000,
            )
          ).body.message,
        ).toBe('Inactive API key');
        expect(
          (await admin(a, 'PATCH', `/admin/api-keys/${k.id}`, { is_active: true, rights: ['items.*'] })).status,
        ).toBe(200);
        expect(
          (
            await until(
              () => op(b, 'insert', bearer(k.key)),
              (r) => r.status === 200,
              3000,
            )
          ).status,
        ).toBe(200);
        // Renaming a right changes what every key holding it may do.
        const rights = (await admin(a, 'GET', '/admin/api-key-rights')).body.data.rights as Array<{
          id: string;
          name: string;
        }>;
        expect(rights.map((r) => r.name)).toEqual(
          expect.arrayContaining(['*', 'gateway.read', 'gateway.query', 'items.*']),
        );
        // Revocation (archive): Invalid API key everywhere.
        const del = await admin(a, 'DELETE', `/admin/api-keys/${k.id}`);
        expect(del.status).toBe(200);
        expect(del.body.data).toEqual({ id: k.id });
        expect(
          (
            await until(
              () => op(b, 'fetch', bearer(k.key)),
              (r) => r.status === 401,
              3000,
            )
          ).body.message,
        ).toBe('Invalid API key');
        expect((await admin(a, 'DELETE', `/admin/api-keys/${k.id}`)).status).toBe(404);
        expect(
          (await admin(a, 'GET', '/admin/api-keys')).body.data.api_keys.some((x: { id: string }) => x.id === k.id),
        ).toBe(false);
        const archived = await cp.query('SELECT archived_at, is_active FROM api_keys WHERE api_keys_id = $1', [k.id]);
        expect(archived.rows[0].archived_at).not.toBeNull();
      });

      it('turning enforcement off on A opens B within the ~2 s policy cache (notified: at once)', async () => {
        expect((await op(b, 'fetch', {})).status).toBe(401);
        await setGlobal(false);
        expect(
          (
            await until(
              () => op(b, 'fetch', {}),
              (r) => r.status === 200,
              3000,
            )
          ).status,
        ).toBe(200);
        await setGlobal(true);
        expect(
          (
            await until(
              () => op(b, 'fetch', {}),
              (r) => r.status === 401,
              3000,
            )
          ).status,
        ).toBe(401);
      });
    });

    describe('enforcement off', () => {
      beforeAll(() => setGlobal(false));

      it('every gateway route works without a key or with a bad one; admin routes still need the admin key', async () => {
        await matrix(a, (name, _i, o) => [OFF_STATUS(name, o), null]);
      });

      it('a presented key is still authenticated and logged (enforced=false)', async () => {
        const before = await cp.query(`SELECT count(*)::int AS n FROM api_key_auth_log WHERE enforced = false`);
        await op(a, 'fetch', bearer(keys.inactive.key));
        await op(a, 'fetch', bearer(keys.exact.key));
        const rows = await until(
          () => cp.query(`SELECT * FROM api_key_auth_log WHERE enforced = false ORDER BY id`),
          (res) => res.rows.length >= before.rows[0].n + 2,
        );
        expect(
          rows.rows.some(
            (r) => r.reason === 'inactive_api_key' && r.outcome === 'allowed' && r.authenticated === false,
          ),
        ).toBe(true);
        expect(rows.rows.some((r) => r.reason === 'ok' && r.api_key_id === keys.exact.id)).toBe(true);
      });
    });

    describe('per-client overrides', () => {
      afterAll(async () => {
        await admin(a, 'DELETE', '/admin/api-key-clients/main');
        await setGlobal(false);
      });

      it('global off + override on for "main": main is protected, "second" stays open', async () => {
        await setGlobal(false);
        const put = await admin(a, 'PUT', '/admin/api-key-clients/main', { enforce_api_keys: true });
        expect(put.status).toBe(200);
        expect(put.body.data.client).toMatchObject({ client_name: 'main', enforce_api_keys: true });
        await matrix(a, (name, i) => ON[name][i], 'main');
        expect((await op(a, 'fetch', {}, 'second')).status).toBe(200);
        // The key bound to "second" works there.
        expect((await op(a, 'fetch', bearer(keys['other-client'].key), 'second')).status).toBe(200);
      });

      it('global on + override off for "main": main is open, "second" is protected', async () => {
        await setGlobal(true);
        expect((await admin(a, 'PUT', '/admin/api-key-clients/MAIN', { enforce_api_keys: false })).status).toBe(200); // case-insensitive upsert
        const cfg = await admin(a, 'GET', '/admin/api-key-config');
        expect(cfg.body.data.global.enforce_api_keys).toBe(true);
        expect(cfg.body.data.clients).toEqual([
          expect.objectContaining({ client_name: 'main', enforce_api_keys: false }),
        ]);
        await matrix(a, (name, _i, o) => [OFF_STATUS(name, o), null], 'main');
        expect((await op(a, 'fetch', {}, 'second')).status).toBe(401);
        expect((await op(a, 'fetch', bearer(keys['other-client'].key), 'second')).status).toBe(200);
        const list = await admin(a, 'GET', '/admin/api-key-clients');
        expect(list.body.data.clients).toHaveLength(1);
        expect((await admin(a, 'DELETE', '/admin/api-key-clients/main')).body.data).toEqual({ client_name: 'main' });
        expect((await op(a, 'fetch', {}, 'main')).status).toBe(401);
        const missing = await admin(a, 'DELETE', '/admin/api-key-clients/main');
        expect([missing.status, missing.body.message]).toEqual([404, 'Client config not found']);
      });
    });

    describe('admin key', () => {
      afterEach(() => {
        process.env.ATHENA_KEY_12 = ADMIN_KEY;
      });

      it('unset or empty ATHENA_KEY_12 → 500 admin_key_not_configured (the route never opens)', async () => {
        delete process.env.ATHENA_KEY_12;
        let r = await admin(a, 'GET', '/admin/api-keys');
        expect([r.status, r.body.code]).toEqual([500, 'admin_key_not_configured']);
        process.env.ATHENA_KEY_12 = '';
        r = await call(`${a.url}/admin/api-keys`, { headers: { 'x-athena-admin-key': '' } });
        expect([r.status, r.body.code, r.body.message]).toEqual([
          500,
          'admin_key_not_configured',
          'Admin key not configured',
        ]);
      });

      it('missing or wrong key → 401; every credential header is accepted; gateway keys never open admin routes', async () => {
        for (const headers of [
          {},
          { 'x-athena-admin-key': `${ADMIN_KEY}x` },
          { 'x-athena-admin-key': ADMIN_KEY.slice(0, -1) },
          bearer(keys.wildcard.key),
        ] as Cred[]) {
          const r = await call(`${a.url}/admin/api-keys`, { headers });
          expect([r.status, r.body.code, r.body.error]).toEqual([
            401,
            'invalid_admin_key',
            expect.stringContaining('Invalid admin API key'),
          ]);
        }
        for (const headers of [
          { apikey: ADMIN_KEY },
          { 'x-athena-key': ADMIN_KEY },
          bearer(ADMIN_KEY),
          { 'x-api-key': ADMIN_KEY },
        ] as Cred[]) {
          expect((await call(`${a.url}/admin/api-keys`, { headers })).status).toBe(200);
        }
      });
    });

    describe('admin routes: bad input, nothing half-written', () => {
      const count = async () => (await cp.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n as number;

      it('create: plaintext once, record without salt/hash, 201', async () => {
        const r = await admin(a, 'POST', '/admin/api-keys', {
          name: 'shape',
          description: 'd',
          client_name: 'main',
          rights: ['items.read'],
        });
        expect(r.status).toBe(201);
        expect(r.body.status).toBe('success');
        expect(r.body.data.api_key).toMatch(/^ath_[0-9a-f]{16}\.[0-9a-f]{64}$/);
        expect(Object.keys(r.body.data.record).sort()).toEqual([
          'client_name',
          'created_at',
          'description',
          'expires_at',
          'id',
          'is_active',
          'last_used_at',
          'name',
          'public_id',
          'rights',
          'updated_at',
        ]);
        expect(r.body.data.record).toMatchObject({
          name: 'shape',
          client_name: 'main',
          is_active: true,
          rights: ['items.read'],
          expires_at: null,
        });
        expect(r.body.data.api_key.startsWith(`ath_${r.body.data.record.public_id}.`)).toBe(true);
        const row = await cp.query('SELECT key_hash, key_salt FROM api_keys WHERE api_keys_id = $1', [
          r.body.data.record.id,
        ]);
        expect(row.rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(r.text).not.toContain(row.rows[0].key_hash);
      });

      it.each([
        ['missing name', { rights: [] }, 'invalid_request'],
        ['empty name', { name: '' }, 'invalid_request'],
        ['blank name', { name: '   ' }, 'invalid_name'],
        ['expires_at in the past', { name: 'past', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at_in_past'],
        ['expires_at not a timestamp', { name: 'ts', expires_at: 'tomorrow' }, 'invalid_request'],
        ['unknown rights', { name: 'unk', rights: ['items.read', 'nope.read', 'also.nope'] }, 'unknown_rights'],
        ['illegal right characters', { name: 'ill', rights: ['items read'] }, 'invalid_request'],
        ['right not a string', { name: 'ill2', rights: [42] }, 'invalid_request'],
        ['bad client name', { name: 'cl', client_name: '../etc' }, 'invalid_request'],
        ['name too long', { name: 'x'.repeat(201) }, 'invalid_request'],
      ])('create with %s → 400 %s and nothing written', async (_what, body, code) => {
        const before = await count();
        const r = await admin(a, 'POST', '/admin/api-keys', body);
        expect([r.status, r.body.code]).toEqual([400, code]);
        expect(r.body.error).toBeTruthy();
        if (code === 'unknown_rights') expect(r.body.unknown_rights).toEqual(['nope.read', 'also.nope']);
        expect(await count()).toBe(before);
      });

      it('non-object bodies and a missing body → 400, nothing written', async () => {
        const before = await count();
        for (const body of [[], 'text', 42, null]) {
          const r = await admin(a, 'POST', '/admin/api-keys', body);
          expect([r.status, r.body?.status]).toEqual([400, 'error']);
        }
        const none = await call(`${a.url}/admin/api-keys`, {
          method: 'POST',
          headers: { 'x-athena-admin-key': ADMIN_KEY },
        });
        expect(none.status).toBe(400);
        const badJson = await call(`${a.url}/admin/api-keys`, {
          method: 'POST',
          headers: { 'x-athena-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
          body: '{"name":',
        });
        expect([badJson.status, badJson.body.code]).toEqual([400, 'invalid_json']);
        expect(await count()).toBe(before);
      });

      it('duplicate names → 409; PATCH of a missing key → 404; non-UUID id → 400; unknown rights on PATCH leave the key untouched', async () => {
        const dup = await admin(a, 'POST', '/admin/api-keys', { name: 'EXACT' });
        expect([dup.status, dup.body.code]).toEqual([409, 'duplicate_api_key_name']);
        const missing = await admin(a, 'PATCH', '/admin/api-keys/00000000-0000-4000-8000-000000000000', {
          is_active: false,
        });
        expect([missing.status, missing.body.message]).toEqual([404, 'API key not found']);
        expect((await admin(a, 'PATCH', '/admin/api-keys/not-a-uuid', { is_active: false })).body.code).toBe(
          'invalid_id',
        );
        expect((await admin(a, 'DELETE', '/admin/api-keys/not-a-uuid')).status).toBe(400);
        const bad = await admin(a, 'PATCH', `/admin/api-keys/${keys.exact.id}`, {
          name: 'renamed',
          rights: ['ghost.read'],
        });
        expect([bad.status, bad.body.code]).toEqual([400, 'unknown_rights']);
        const after = (await admin(a, 'GET', '/admin/api-keys')).body.data.api_keys.find(
          (k: { id: string }) => k.id === keys.exact.id,
        );
        expect(after.name).toBe('exact');
        expect(after.rights).toEqual(['gateway.query', 'items.delete', 'items.read', 'items.write']);
        const past = await admin(a, 'PATCH', `/admin/api-keys/${keys.exact.id}`, {
          expires_at: '2000-01-01T00:00:00Z',
        });
        expect(past.body.code).toBe('expires_at_in_past');
        const clash = await admin(a, 'PATCH', `/admin/api-keys/${keys.exact.id}`, { name: 'wildcard' });
        expect(clash.status).toBe(409);
        const nulls = await admin(a, 'PATCH', `/admin/api-keys/${keys.exact.id}`, {
          description: null,
          expires_at: null,
          client_name: null,
        });
        expect(nulls.status).toBe(200);
        expect(nulls.body.data.record).toMatchObject({ description: null, expires_at: null, client_name: null });
        const lim = await admin(a, 'GET', '/admin/api-keys?limit=0');
        expect(lim.status).toBe(400);
        expect((await admin(a, 'GET', '/admin/api-keys?limit=2')).body.data.api_keys).toHaveLength(2);
      });

      it('rights: create/rename/delete, duplicates 409, illegal names 400, missing 404; delete removes grants', async () => {
        const c = await admin(a, 'POST', '/admin/api-key-rights', { name: 'temp.read' });
        expect(c.status).toBe(201);
        expect(c.body.data.right).toMatchObject({ name: 'temp.read', description: null });
        expect((await admin(a, 'POST', '/admin/api-key-rights', { name: 'temp.read' })).status).toBe(409);
        for (const name of ['temp read', 'temp..read', '', 'ü.read', 'x'.repeat(129)]) {
          expect((await admin(a, 'POST', '/admin/api-key-rights', { name })).status).toBe(400);
        }
        expect((await admin(a, 'POST', '/admin/api-key-rights', {})).status).toBe(400);
        const k = await createKey('temp-holder', { rights: ['temp.read'] });
        const renamed = await admin(a, 'PATCH', `/admin/api-key-rights/${c.body.data.right.id}`, {
          name: 'temp2.read',
          description: 'renamed',
        });
        expect(renamed.body.data.right).toMatchObject({ name: 'temp2.read', description: 'renamed' });
        expect(
          (await admin(a, 'PATCH', `/admin/api-key-rights/${c.body.data.right.id}`, { name: 'items.read' })).status,
        ).toBe(409);
        expect(
          (await admin(a, 'PATCH', '/admin/api-key-rights/00000000-0000-4000-8000-000000000000', { name: 'x.read' }))
            .body.message,
        ).toBe('Right not found');
        let rec = (await admin(a, 'GET', '/admin/api-keys')).body.data.api_keys.find(
          (x: { id: string }) => x.id === k.id,
        );
        expect(rec.rights).toEqual(['temp2.read']);
        expect((await admin(a, 'DELETE', `/admin/api-key-rights/${c.body.data.right.id}`)).body.data).toEqual({
          id: c.body.data.right.id,
        });
        expect((await admin(a, 'DELETE', `/admin/api-key-rights/${c.body.data.right.id}`)).status).toBe(404);
        rec = (await admin(a, 'GET', '/admin/api-keys')).body.data.api_keys.find((x: { id: string }) => x.id === k.id);
        expect(rec.rights).toEqual([]);
      });

      it('config bodies are validated', async () => {
        for (const body of [{}, { enforce_api_keys: 'yes' }, { enforce_api_keys: 1 }]) {
          expect((await admin(a, 'PUT', '/admin/api-key-config', body)).status).toBe(400);
          expect((await admin(a, 'PUT', '/admin/api-key-clients/main', body)).status).toBe(400);
        }
        expect((await admin(a, 'PUT', '/admin/api-key-clients/bad%20name', { enforce_api_keys: true })).body.code).toBe(
          'invalid_client_name',
        );
      });

      it('documents the admin routes and security schemes in OpenAPI', async () => {
        const doc = (await call(`${a.url}/openapi.json`)).body;
        expect(Object.keys(doc.components.securitySchemes)).toEqual(
          expect.arrayContaining(['adminKey', 'apiKey', 'bearer']),
        );
        for (const p of [
          '/admin/api-keys',
          '/admin/api-keys/{id}',
          '/admin/api-key-rights',
          '/admin/api-key-rights/{id}',
          '/admin/api-key-config',
          '/admin/api-key-clients',
          '/admin/api-key-clients/{client_name}',
        ]) {
          expect(doc.paths[p]).toBeDefined();
        }
        expect(doc.paths['/admin/api-keys'].post.security).toEqual([{ adminKey: [] }]);
        expect(doc.paths['/admin/api-keys'].post.responses['201']).toBeDefined();
        expect(doc.paths['/gateway/fetch'].post.responses['403']).toBeDefined();
      });
    });
  },
);

describeWith('postgres')('auth: the auth store goes away (fail modes)', () => {
  const saved = process.env.ATHENA_KEY_12;
  afterAll(() => {
    if (saved === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = saved;
  });

  async function scenario(mode: 'fail_closed' | 'fail_open') {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    const control = await createTestDatabase(`auth_fail_${mode}`);
    const data = await createTestDatabase(`auth_fail_data_${mode}`);
    const app = await bootApp({
      gateway: { logging_pg_uri: control.uri, api_key_fail_mode: mode },
      postgres_clients: { main: data.uri },
    });
    try {
      // The change also comes back as a NOTIFY that clears the key cache again; let it arrive before the cache is
      // filled below, or it could empty the cache after the control plane is gone (a race under load).
      const events = app.server.app.get(ControlPlaneEvents);
      let notified = 0;
      const off = events.subscribe(AUTH_CHANGED_CHANNEL, () => notified++);
      const listening = events.listening;
      await call(`${app.url}/admin/api-key-config`, {
        method: 'PUT',
        headers: { 'x-athena-admin-key': ADMIN_KEY },
        json: { enforce_api_keys: true },
      });
      if (listening)
        await waitFor(
          async () => notified,
          (n) => n >= 2,
        ); // the local emit, then the NOTIFY
      off();
      const unknown = `ath_${randomBytes(8).toString('hex')}.${randomBytes(32).toString('hex')}`;
      const q = () =>
        call(`${app.url}/gateway/query`, {
          method: 'POST',
          headers: { 'x-athena-client': 'main', authorization: `Bearer ${unknown}` },
          json: { query: 'SELECT 1 AS one' },
        });
      expect((await q()).status).toBe(401);
      // Time stands still for the auth caches from here: the negative entry and the enforcement snapshot cannot
      // expire while the database is dropped, however slow the machine (no wall-clock TTL race).
      const clock = app.server.app.get(AuthClock);
      jest.spyOn(clock, 'now').mockReturnValue(clock.now());
      await control.drop(); // the control plane disappears under the running app
      const r = await q(); // the negative entry is cached; a different unknown key must hit the store
      expect(r.status).toBe(401);
      const fresh = `ath_${randomBytes(8).toString('hex')}.${randomBytes(32).toString('hex')}`;
      const r2 = await call(`${app.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main', 'x-api-key': fresh },
        json: { query: 'SELECT 1 AS one' },
      });
      const adminList = await call(`${app.url}/admin/api-keys`, { headers: { 'x-athena-admin-key': ADMIN_KEY } });
      const m = (await call(`${app.url}/metrics`)).text;
      await app.close();
      return { r2, adminList, metrics: m, logs: app.logs.text() };
    } finally {
      await app.close();
      await data.drop();
      await control.drop();
    }
  }

  it('fail_closed: 503 API key validation unavailable with Retry-After', async () => {
    const { r2, adminList, metrics } = await scenario('fail_closed');
    // Admin routes that need the store answer 503 (not 500) while it is unreachable.
    expect([adminList.status, adminList.body.code]).toEqual([503, 'control_plane_unavailable']);
    expect(adminList.headers.get('retry-after')).toBe('5');
    expect({ status: r2.status, body: r2.body }).toMatchObject({ status: 503 });
    expect(['API key validation unavailable', 'API key policy unavailable']).toContain(r2.body.message);
    expect(r2.headers.get('retry-after')).toBeTruthy();
    expect(metrics).toMatch(/athena_auth_store_errors_total\{operation="(key_lookup|enforcement)"\} [1-9]/);
  });

  it('fail_open: the request goes through, logged and counted', async () => {
    const { r2, metrics, logs } = await scenario('fail_open');
    expect({ status: r2.status, body: r2.body }).toMatchObject({ status: 200 });
    expect(metrics).toMatch(/athena_auth_outcomes_total\{outcome="fail_open"/);
    expect(logs).toContain('fail_open lets requests through');
  });
});
