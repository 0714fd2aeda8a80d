import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { drilldownSql } from '@athena/store';
import { bootApp, call, TestApp } from './support/app';
import { CLI, GatewayProcess, startGatewayProcess, stopChild } from './support/processes';
import { createTestDatabase, TestDatabase } from './support/services';

/**
 * Admin control plane of clients across two gateway PROCESSES on one control plane: this test process runs
 * instance A, instance B is the built `athena server` in a child process. Catalog changes made through one are
 * served by the other within a second (LISTEN/NOTIFY); the measured propagation times are printed.
 */
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const PROPAGATION_BUDGET_MS = 1000;

describe('admin: clients (two gateway processes)', () => {
  let a: TestApp;
  let child: GatewayProcess;
  let bUrl = '';
  let control: TestDatabase;
  let data1: TestDatabase;
  let data2: TestDatabase;
  let cp: Client;
  const savedAdminKey = process.env.ATHENA_KEY_12;
  const propagation: Record<string, number> = {};
  const admin = (url: string, method: string, path: string, json?: unknown) =>
    call(`${url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY }, json });
  const fetchPets = (url: string, client: string) =>
    call(`${url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': client, 'cache-control': 'no-cache' },
      json: { table_name: 'pets' },
    });

  /** Polls `url` until `ok` holds; returns the time it took (ms) from `since`. Fails past the budget × 3. */
  async function until(what: string, since: number, probe: () => Promise<boolean>): Promise<number> {
    for (;;) {
      if (await probe()) {
        const ms = Date.now() - since;
        propagation[what] = ms;
        return ms;
      }
      if (Date.now() - since > PROPAGATION_BUDGET_MS * 3)
        throw new Error(`${what}: not propagated in ${PROPAGATION_BUDGET_MS * 3} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('admcl_control');
    data1 = await createTestDatabase('admcl_data1');
    data2 = await createTestDatabase('admcl_data2');
    for (const [db, name] of [
      [data1, 'rex'],
      [data2, 'tom'],
    ] as const) {
      const d = new Client({ connectionString: db.uri });
      await d.connect();
      await d.query(`CREATE TABLE pets (id int PRIMARY KEY, name text); INSERT INTO pets VALUES (1, '${name}');`);
      await d.end();
    }
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
    const shared = { gateway: { logging_pg_uri: control.uri }, postgres_clients: { main: data1.uri } };
    a = await bootApp(shared);
    child = await startGatewayProcess({ ...shared, api: {} }, { ...process.env, ATHENA_KEY_12: ADMIN_KEY });
    bUrl = child.url;
  }, 60_000);

  afterAll(async () => {
    process.stdout.write(`\n[admin-clients] cross-process propagation (ms): ${JSON.stringify(propagation)}\n`);
    await stopChild(child);
    await a?.close();
    await cp?.end();
    await data1?.drop();
    await data2?.drop();
    await control?.drop();
    if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = savedAdminKey;
  });

  it('every admin route answers 401 without the admin key or with a wrong one', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/admin/clients'],
      ['POST', '/admin/clients'],
      ['PATCH', '/admin/clients/main'],
      ['PUT', '/admin/clients/main/freeze'],
      ['DELETE', '/admin/clients/main'],
      ['GET', '/admin/clients/statistics'],
      ['POST', '/admin/clients/statistics/refresh'],
      ['GET', '/admin/clients/main/statistics'],
      ['GET', '/admin/clients/main/statistics/drilldown?table_name=pets&operation=fetch'],
      ['POST', '/admin/provision'],
      ['GET', '/clients'],
      ['GET', '/schema/clients'],
      ['GET', '/router/registry'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{}, { 'x-athena-admin-key': 'wrong' }, { apikey: `${ADMIN_KEY}x` }] as Array<
        Record<string, string>
      >) {
        const r = await call(`${a.url}${path}`, {
          method,
          headers,
          json: method === 'GET' || method === 'DELETE' ? undefined : { bad: 'body' },
        });
        expect({ method, path, status: r.status }).toEqual({ method, path, status: 401 });
      }
    }
    expect((await admin(bUrl, 'GET', '/admin/clients')).status).toBe(200);
  });

  it('Swagger: every new route carries the admin-key scheme, a typed answer and the 401 response', async () => {
    const doc = (await call(`${a.url}/openapi.json`)).body;
    const routes: Array<[string, string]> = [
      ['/admin/clients', 'get'],
      ['/admin/clients', 'post'],
      ['/admin/clients/{client_name}', 'patch'],
      ['/admin/clients/{client_name}', 'delete'],
      ['/admin/clients/{client_name}/freeze', 'put'],
      ['/admin/clients/statistics', 'get'],
      ['/admin/clients/statistics/refresh', 'post'],
      ['/admin/clients/{client_name}/statistics', 'get'],
      ['/admin/clients/{client_name}/statistics/drilldown', 'get'],
      ['/admin/provision', 'post'],
      ['/clients', 'get'],
      ['/schema/clients', 'get'],
      ['/router/registry', 'get'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, found: !!op }).toEqual({ path, method, found: true });
      expect(op.security).toEqual(expect.arrayContaining([{ adminKey: [] }]));
      expect(op.responses['401']).toBeDefined();
      const okResponse = op.responses['200'] ?? op.responses['201'];
      expect(okResponse.content['application/json'].schema).toBeDefined();
    }
    expect(doc.paths['/admin/clients'].post.requestBody.content['application/json'].examples.uri).toBeDefined();
    expect(doc.components.schemas.CreateClientDto.required).toEqual(['client_name']);
  });

  it('config clients are in the catalog once; names, registry and list agree; URIs are redacted', async () => {
    const rows = (await cp.query(`SELECT client_name, source FROM athena_clients`)).rows;
    expect(rows).toEqual([{ client_name: 'main', source: 'config' }]);
    for (const url of [a.url, bUrl]) {
      expect((await admin(url, 'GET', '/clients')).body.data.clients).toEqual(['main']);
      expect((await admin(url, 'GET', '/schema/clients')).body.data.clients).toEqual(['main']);
    }
    const list = await admin(a.url, 'GET', '/admin/clients');
    expect(list.body.data.clients).toHaveLength(1);
    expect(list.body.data.runtime[0]).toMatchObject({
      client_name: 'main',
      source: 'config',
      is_active: true,
      is_frozen: false,
    });
    expect(list.body.data.runtime[0].pg_uri).toContain(':***@');
    expect(list.text).not.toContain(':postgres@');
    const reg = await admin(a.url, 'GET', '/router/registry');
    expect(Array.isArray(reg.body)).toBe(true);
    expect(reg.body[0]).toMatchObject({
      client_name: 'main',
      backend: 'postgres',
      source: 'config',
      status: 'routable',
      connection_source: 'config',
    });
  });

  it('create → use → freeze → unfreeze → patch URI → delete, each seen by the other process within 1 s', async () => {
    // create through A, served by B
    let t = Date.now();
    const created = await admin(a.url, 'POST', '/admin/clients', {
      client_name: 'Dyn',
      description: 'dynamic',
      pg_uri: data1.uri,
    });
    expect(created.status).toBe(201);
    expect(created.body.data.client).toMatchObject({
      client_name: 'Dyn',
      source: 'database',
      is_active: true,
      is_frozen: false,
    });
    expect(created.body.data.client.pg_uri).toContain(':***@');
    expect(created.text).not.toContain(':postgres@');
    expect((await fetchPets(a.url, 'dyn')).body.data).toEqual([{ id: 1, name: 'rex' }]); // A: at once
    expect(await until('create', t, async () => (await fetchPets(bUrl, 'dyn')).status === 200)).toBeLessThanOrEqual(
      PROPAGATION_BUDGET_MS,
    );
    expect((await fetchPets(bUrl, 'DYN')).body.data).toEqual([{ id: 1, name: 'rex' }]);
    const regB = (await admin(bUrl, 'GET', '/router/registry')).body.find(
      (r: { client_name: string }) => r.client_name === 'Dyn',
    );
    expect(regB).toMatchObject({ status: 'routable', pool: { open: true }, connection_source: 'pg_uri' });

    // freeze through A: both refuse (403 client_frozen) and drain the pool
    t = Date.now();
    const frozen = await admin(a.url, 'PUT', '/admin/clients/dyn/freeze', { is_frozen: true });
    expect(frozen.status).toBe(200);
    expect(frozen.body.data.client.is_frozen).toBe(true);
    const atA = await fetchPets(a.url, 'dyn');
    expect([atA.status, atA.body.code]).toEqual([403, 'client_frozen']);
    expect(
      await until('freeze', t, async () => (await fetchPets(bUrl, 'dyn')).body.code === 'client_frozen'),
    ).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
    const frozenReg = (await admin(bUrl, 'GET', '/router/registry')).body.find(
      (r: { client_name: string }) => r.client_name === 'Dyn',
    );
    expect(frozenReg).toMatchObject({ status: 'frozen', is_frozen: true, pool: { open: false } });

    // unfreeze through B, served by A
    t = Date.now();
    expect((await admin(bUrl, 'PUT', '/admin/clients/Dyn/freeze', { is_frozen: false })).status).toBe(200);
    expect(await until('unfreeze', t, async () => (await fetchPets(a.url, 'dyn')).status === 200)).toBeLessThanOrEqual(
      PROPAGATION_BUDGET_MS,
    );

    // patch the URI through A: requests go to the new database on both
    t = Date.now();
    const patched = await admin(a.url, 'PATCH', '/admin/clients/dyn', { pg_uri: data2.uri, client_name: 'ignored' });
    expect(patched.status).toBe(200);
    expect(patched.body.data.client).toMatchObject({ client_name: 'Dyn' });
    expect((await fetchPets(a.url, 'dyn')).body.data).toEqual([{ id: 1, name: 'tom' }]);
    expect(
      await until('patch', t, async () => (await fetchPets(bUrl, 'dyn')).body.data?.[0]?.name === 'tom'),
    ).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);

    // delete through B: 404 on both, the row is soft-deleted
    t = Date.now();
    const deleted = await admin(bUrl, 'DELETE', '/admin/clients/dyn');
    expect(deleted.status).toBe(200);
    expect(deleted.body.data.client.deleted_at).not.toBeNull();
    expect(await until('delete', t, async () => (await fetchPets(a.url, 'dyn')).status === 404)).toBeLessThanOrEqual(
      PROPAGATION_BUDGET_MS,
    );
    expect((await fetchPets(bUrl, 'dyn')).body.code).toBe('invalid_client');
    expect(
      (await cp.query(`SELECT deleted_at IS NOT NULL AS d FROM athena_clients WHERE client_name = 'Dyn'`)).rows,
    ).toEqual([{ d: true }]);
    expect((await admin(a.url, 'GET', '/clients')).body.data.clients).toEqual(['main']);

    // recreating a deleted name revives the row (no duplicate)
    expect((await admin(a.url, 'POST', '/admin/clients', { client_name: 'dyn', pg_uri: data1.uri })).status).toBe(201);
    expect(
      (await cp.query(`SELECT count(*)::int AS n FROM athena_clients WHERE lower(client_name) = 'dyn'`)).rows[0].n,
    ).toBe(1);
    expect((await admin(a.url, 'DELETE', '/admin/clients/dyn')).status).toBe(200);
  });

  it('bad input: 404 / 409 / 400 / 503, and a failed create leaves no row', async () => {
    const count = async () =>
      (await cp.query(`SELECT count(*)::int AS n FROM athena_clients WHERE deleted_at IS NULL`)).rows[0].n as number;
    const before = await count();
    const expectErr = (r: { status: number; body: any }, status: number, code: string) =>
      expect([r.status, r.body.code]).toEqual([status, code]);

    for (const [m, p, body] of [
      ['PATCH', '/admin/clients/nope', { description: 'x' }],
      ['PUT', '/admin/clients/nope/freeze', { is_frozen: true }],
      ['DELETE', '/admin/clients/nope', undefined],
    ] as const) {
      expectErr(await admin(a.url, m, p, body), 404, 'client_not_found');
    }
    expectErr(await admin(a.url, 'GET', '/admin/clients/nope/statistics'), 404, 'client_statistics_not_found');
    expectErr(
      await admin(a.url, 'POST', '/admin/clients', { client_name: 'MAIN', pg_uri: data1.uri }),
      409,
      'duplicate_client',
    );
    expectErr(await admin(a.url, 'DELETE', '/admin/clients/main'), 409, 'config_client');
    expectErr(await admin(a.url, 'POST', '/admin/clients', { client_name: 'x1' }), 400, 'invalid_uri_source');
    expectErr(
      await admin(a.url, 'POST', '/admin/clients', { client_name: 'x1', pg_uri: data1.uri, pg_uri_env_var: 'X' }),
      400,
      'invalid_uri_source',
    );
    const scheme = await admin(a.url, 'POST', '/admin/clients', { client_name: 'x1', pg_uri: 'mysql://u:secret@h/db' });
    expectErr(scheme, 400, 'invalid_pg_uri');
    expect(scheme.body.error).toContain('pg_uri');
    expect(scheme.text).not.toContain('secret');
    const unparsable = await admin(a.url, 'POST', '/admin/clients', { client_name: 'x1', pg_uri: 'not a uri' });
    expectErr(unparsable, 400, 'invalid_pg_uri');
    expect((await admin(a.url, 'POST', '/admin/clients', { client_name: 'bad name!', pg_uri: data1.uri })).status).toBe(
      400,
    );
    expect((await admin(a.url, 'PUT', '/admin/clients/main/freeze', {})).status).toBe(400);
    expect((await admin(a.url, 'PUT', '/admin/clients/main/freeze', { is_frozen: 'yes' })).status).toBe(400);
    expect(await count()).toBe(before);

    // an unset env var: registered, reported unavailable, 503 on use — on both instances
    const envVar = `ATHENA_TEST_UNSET_${randomBytes(4).toString('hex').toUpperCase()}`;
    const t = Date.now();
    const created = await admin(a.url, 'POST', '/admin/clients', { client_name: 'by_env', pg_uri_env_var: envVar });
    expect(created.status).toBe(201);
    for (const url of [a.url, bUrl]) {
      await until(`env-${url === a.url ? 'A' : 'B'}`, t, async () => (await fetchPets(url, 'by_env')).status === 503);
      const use = await fetchPets(url, 'by_env');
      expect([use.status, use.body.code, use.headers.get('retry-after')]).toEqual([503, 'client_unconfigured', '30']);
      const row = (await admin(url, 'GET', '/router/registry')).body.find(
        (r: { client_name: string }) => r.client_name === 'by_env',
      );
      expect(row).toMatchObject({ status: 'unavailable', connection_source: null });
      expect(row.reason).toContain(envVar);
    }
    // provisioning a client that has no URI is the caller's mistake: 409, not an outage
    const prov = await admin(a.url, 'POST', '/admin/provision', { client_name: 'by_env' });
    expect([prov.status, prov.body.code]).toEqual([409, 'provision_client_unconfigured']);
    expect((await admin(a.url, 'DELETE', '/admin/clients/by_env')).status).toBe(200);
  });

  it('statistics match the requests sent; drilldown filters and pages; bad drilldown params → 400', async () => {
    expect((await admin(a.url, 'POST', '/admin/clients', { client_name: 'stats_c', pg_uri: data1.uri })).status).toBe(
      201,
    );
    await until('stats-create', Date.now(), async () => (await fetchPets(bUrl, 'stats_c')).status === 200);
    // one successful fetch already went through B; send more, some failing (unknown table)
    const sent = { ok: 1, failed: 0 };
    for (let i = 0; i < 4; i++) {
      expect((await fetchPets(i % 2 ? a.url : bUrl, 'stats_c')).status).toBe(200);
      sent.ok++;
    }
    for (let i = 0; i < 3; i++) {
      const r = await call(`${i % 2 ? a.url : bUrl}/gateway/fetch`, {
        method: 'POST',
        headers: { 'x-athena-client': 'stats_c' },
        json: { table_name: 'no_such_table' },
      });
      expect(r.status).toBe(404);
      sent.failed++;
    }
    const total = sent.ok + sent.failed;
    let stats: any;
    const deadline = Date.now() + 10_000;
    for (;;) {
      stats = (await admin(a.url, 'GET', '/admin/clients/stats_c/statistics')).body.data;
      // request and operation log rows arrive in separate batches: wait for both
      if (stats?.statistics.total_requests === total && stats?.statistics.total_operations === total) break;
      if (Date.now() > deadline) throw new Error(`statistics did not reach ${total}: ${JSON.stringify(stats)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stats.statistics).toMatchObject({
      client_name: 'stats_c',
      total_requests: total,
      successful_requests: sent.ok,
      failed_requests: sent.failed,
      total_operations: total,
    });
    const byTable = Object.fromEntries(
      stats.tables.map((r: any) => [`${r.table_name}/${r.operation}`, [r.total_operations, r.error_operations]]),
    );
    expect(byTable['pets/fetch']).toEqual([sent.ok, 0]);
    // the full rebuild recounts the logs to the same numbers
    const rebuilt = await admin(a.url, 'POST', '/admin/clients/statistics/refresh');
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.data.statistics.find((s: any) => s.client_name === 'stats_c')).toMatchObject({
      total_requests: total,
      successful_requests: sent.ok,
      failed_requests: sent.failed,
      total_operations: total,
    });
    expect(
      (await admin(a.url, 'GET', '/admin/clients/stats_c/statistics')).body.data.tables.find(
        (r: any) => r.table_name === 'pets',
      ),
    ).toMatchObject({ total_operations: sent.ok, error_operations: 0 });
    const all = (await admin(a.url, 'GET', '/admin/clients/statistics')).body.data.statistics;
    expect(all.map((s: any) => s.client_name)).toContain('stats_c');

    // drilldown: filters, order, paging
    const dd = (q: string) => admin(a.url, 'GET', `/admin/clients/STATS_C/statistics/drilldown?${q}`);
    const okRows = (await dd('table_name=pets&operation=fetch')).body.data;
    expect(okRows).toMatchObject({
      client_name: 'stats_c',
      table_name: 'pets',
      operation: 'fetch',
      status: 'all',
      limit: 100,
      offset: 0,
    });
    expect(okRows.rows).toHaveLength(sent.ok);
    const times = okRows.rows.map((r: any) => Date.parse(r.created_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect((await dd('table_name=pets&operation=fetch&status=errors')).body.data.rows).toHaveLength(0);
    expect((await dd('table_name=pets&operation=fetch&status=normal')).body.data.rows).toHaveLength(sent.ok);
    const errs = (await dd('table_name=no_such_table&operation=fetch&status=errors')).body.data.rows;
    expect(errs).toHaveLength(sent.failed);
    expect(errs[0]).toMatchObject({ error: true, status_code: 404, client_name: 'stats_c' });
    expect(typeof errs[0].operation_time_ms).toBe('number');
    expect((await dd('table_name=no_such_table&operation=fetch&status=normal')).body.data.rows).toHaveLength(0);
    const p1 = (await dd('table_name=pets&operation=fetch&limit=2&offset=0')).body.data.rows;
    const p2 = (await dd('table_name=pets&operation=fetch&limit=2&offset=2')).body.data.rows;
    const p3 = (await dd('table_name=pets&operation=fetch&limit=2&offset=4')).body.data.rows;
    expect([p1.length, p2.length, p3.length]).toEqual([2, 2, 1]);
    expect([...p1, ...p2, ...p3].map((r: any) => r.request_id)).toEqual(okRows.rows.map((r: any) => r.request_id));
    for (const q of [
      'operation=fetch',
      'table_name=pets',
      'table_name=pets&operation=fetch&status=weird',
      'table_name=pets&operation=fetch&limit=0',
      'table_name=pets&operation=fetch&limit=501',
      'table_name=pets&operation=fetch&limit=abc',
      'table_name=pets&operation=fetch&offset=-1',
    ]) {
      expect({ q, status: (await dd(q)).status }).toEqual({ q, status: 400 });
    }
    expect(
      (await admin(a.url, 'GET', '/admin/clients/ghost/statistics/drilldown?table_name=pets&operation=fetch')).status,
    ).toBe(404);
  });

  it('the drilldown is served by its index over many log rows (in index order, no sort, for a busy table)', async () => {
    // 200k synthetic rows: half on one busy (client, table, operation), half spread over 40 × 50 × 3 groups.
    await cp.query(`
      INSERT INTO gateway_operation_log (created_at, request_id, operation, table_name, client_name, status_code, duration_ms, error)
      SELECT now() - (g || ' seconds')::interval, 'r' || g,
             CASE WHEN g % 2 = 0 THEN 'fetch' ELSE (ARRAY['fetch','insert','update'])[1 + g % 3] END,
             CASE WHEN g % 2 = 0 THEN 'hot' ELSE 't' || (g % 50) END,
             CASE WHEN g % 2 = 0 THEN 'bulk_hot' ELSE 'bulk_' || (g % 40) END,
             CASE WHEN g % 10 = 0 THEN 500 ELSE 200 END, 1, g % 10 = 0
        FROM generate_series(1, 200000) g`);
    await cp.query('ANALYZE gateway_operation_log');
    const explain = async (status: 'all' | 'errors' | 'normal', client: string, table: string, op: string) => {
      const sql = drilldownSql(status)
        .replace('$1', `'${client}'`)
        .replace('$2', `'${table}'`)
        .replace('$3', `'${op}'`)
        .replace('$4', '100')
        .replace('$5', '0');
      const plan = (await cp.query(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      process.stdout.write(`\n[admin-clients] drilldown plan (status=${status}, ${client}/${table}/${op}):\n${plan}\n`);
      return plan;
    };
    for (const status of ['all', 'errors', 'normal'] as const) {
      const busy = await explain(status, 'bulk_hot', 'hot', 'fetch');
      expect(busy).toMatch(
        status === 'errors'
          ? /Index Scan using gateway_operation_log_drilldown_errors_idx/
          : /Index Scan using gateway_operation_log_drilldown_idx/,
      );
      expect(busy).not.toMatch(/Seq Scan|Sort/);
      const sparse = await explain(status, 'bulk_7', 't7', 'update');
      expect(sparse).toMatch(/gateway_operation_log_drilldown(_errors)?_idx/);
      expect(sparse).not.toMatch(/Seq Scan/);
    }
  });

  it('provisioning: twice on an empty database changes nothing and matches the migrations; register; CLI', async () => {
    const empty = await createTestDatabase('admcl_prov');
    const empty2 = await createTestDatabase('admcl_prov_cli');
    const schema = async (uri: string) => {
      const c = new Client({ connectionString: uri });
      await c.connect();
      try {
        const cols = (
          await c.query(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> 'athena_migrations' ORDER BY 1, 2`)
        ).rows;
        const idx = (
          await c.query(
            `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'athena_migrations' ORDER BY 1`,
          )
        ).rows;
        const seed = (await c.query(`SELECT name FROM api_key_rights ORDER BY 1`).catch(() => ({ rows: [] }))).rows;
        return { cols, idx, seed };
      } finally {
        await c.end();
      }
    };
    try {
      const first = await admin(a.url, 'POST', '/admin/provision', { uri: empty.uri });
      expect(first.status).toBe(200);
      expect(first.body.data.statements_executed).toBeGreaterThan(10);
      expect(first.body.data.tables).toEqual(
        expect.arrayContaining([
          'athena_clients',
          'client_statistics',
          'client_table_statistics',
          'gateway_operation_log',
        ]),
      );
      expect(first.body.data.registered).toBeNull();
      expect(first.text).not.toContain(':postgres@');
      const once = await schema(empty.uri);
      const second = await admin(a.url, 'POST', '/admin/provision', {
        uri: empty.uri,
        register: true,
        register_name: 'prov_db',
      });
      expect(second.body.data).toMatchObject({
        statements_executed: first.body.data.statements_executed,
        registered: 'prov_db',
        client: 'prov_db',
      });
      expect(await schema(empty.uri)).toEqual(once);
      // the provisioned schema is the migrated one (the control plane of this test was built by migrations)
      expect(once).toEqual(await schema(control.uri));
      expect((await admin(a.url, 'GET', '/clients')).body.data.clients).toContain('prov_db');
      const byName = await admin(a.url, 'POST', '/admin/provision', { client_name: 'prov_db' });
      expect(byName.body.data).toMatchObject({ client: 'prov_db', registered: null });
      expect((await admin(a.url, 'POST', '/admin/provision', {})).body.code).toBe('invalid_provision_target');
      expect((await admin(a.url, 'POST', '/admin/provision', { uri: empty.uri, client_name: 'main' })).body.code).toBe(
        'invalid_provision_target',
      );
      expect((await admin(a.url, 'POST', '/admin/provision', { client_name: 'nope' })).status).toBe(404);
      expect((await admin(a.url, 'POST', '/admin/provision', { uri: 'mysql://h/db' })).body.code).toBe(
        'invalid_pg_uri',
      );
      expect(
        (await admin(a.url, 'POST', '/admin/provision', { uri: empty.uri, register: true, register_name: 'main' }))
          .status,
      ).toBe(409);
      expect((await admin(a.url, 'DELETE', '/admin/clients/prov_db')).status).toBe(200);

      const run = promisify(execFile);
      for (let i = 0; i < 2; i++) {
        const out = await run(process.execPath, [CLI, 'provision', '--uri', empty2.uri, '--json']);
        expect(JSON.parse(out.stdout)).toMatchObject({ statements_executed: first.body.data.statements_executed });
      }
      expect(await schema(empty2.uri)).toEqual(once);
    } finally {
      await empty.drop();
      await empty2.drop();
    }
  });

  it('measured propagation is within 1 s', () => {
    for (const k of ['create', 'freeze', 'unfreeze', 'patch', 'delete'])
      expect(propagation[k]).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
  });
});
