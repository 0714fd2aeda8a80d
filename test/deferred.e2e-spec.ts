import { Client } from 'pg';
import { DeferredWorker } from '@athena/deferred';
import { bootApp, call, TestApp } from './support/app';
import { waitFor } from './support/processes';
import { createTestDatabase, requireService, TestDatabase } from './support/services';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The deferred queue in one process: explicit deferral (X-Athena-Defer) → 202 → status → the envelope the
 * synchronous call returns; validation at submit; requeue rules; ownership; the control plane going away and
 * coming back (through a TCP proxy this test stops and restarts).
 */
const describePg = requireService('postgres') ? describe : describe.skip;
const ADMIN_KEY = 'deferred-e2e-admin-key';

describePg('deferred queue (real PostgreSQL)', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  let worker: TestApp; // in-process worker on
  let idle: TestApp; // no worker: jobs stay queued until the test starts one
  let cp: Client;
  const saved = process.env.ATHENA_KEY_12;

  const defer = (app: TestApp, path: string, json: unknown, headers: Record<string, string> = {}) =>
    call(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', 'x-athena-defer': 'true', ...headers },
      json,
    });
  const status = (app: TestApp, id: string, headers: Record<string, string> = { 'x-athena-client': 'main' }) =>
    call(`${app.url}/gateway/deferred/${encodeURIComponent(id)}`, { headers });
  const finished = (app: TestApp, id: string) =>
    waitFor(
      () => status(app, id),
      (r) => r.status === 200 && ['completed', 'failed'].includes(r.body.data.status),
    );

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('deferred_control');
    data = await createTestDatabase('deferred_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(
      `CREATE TABLE items (id integer PRIMARY KEY, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 50) g;`,
    );
    await d.end();
    const base = {
      gateway: { logging_pg_uri: control.uri, deferred_query_worker_poll_ms: 50 },
      postgres_clients: { main: data.uri, other: data.uri },
    };
    worker = await bootApp({ ...base, gateway: { ...base.gateway, deferred_query_worker_enabled: true } });
    idle = await bootApp(base);
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await idle?.close();
    await cp?.end();
    await data?.drop();
    await control?.drop();
    if (saved === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = saved;
  });

  it('X-Athena-Defer on /gateway/query: 202 at once, then the status carries the synchronous envelope', async () => {
    const q = { query: 'SELECT id, name FROM items WHERE id <= 3 ORDER BY id' };
    const sync = await call(`${worker.url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: q,
    });
    expect(sync.status).toBe(200);
    const r = await defer(worker, '/gateway/query', q);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      status: 'success',
      message: 'Request deferred',
      data: { status: 'queued', deferred: true },
    });
    const id = r.body.data.request_id as string;
    expect(r.body.data.status_url).toBe(`/gateway/deferred/${id}`);
    expect(r.headers.get('location')).toBe(r.body.data.status_url);
    const s = await finished(worker, id);
    expect(s.body.data).toMatchObject({
      request_id: id,
      status: 'completed',
      operation: 'query',
      client_name: 'main',
      attempts: 1,
      truncated: false,
      result_status: 200,
      error: null,
    });
    expect(s.body.data.result).toEqual(sync.body);
    expect(Date.parse(s.body.data.completed_at)).toBeGreaterThanOrEqual(Date.parse(s.body.data.created_at));
  });

  it('X-Athena-Defer on /gateway/fetch runs the fetch (same envelope as the synchronous fetch)', async () => {
    const body = { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 7 }] };
    const r = await defer(worker, '/gateway/fetch', body);
    expect(r.status).toBe(202);
    const s = await finished(worker, r.body.data.request_id);
    expect(s.body.data.status).toBe('completed');
    expect(s.body.data.result).toMatchObject({ status: 'success', data: [{ id: 7, name: 'n7' }] });
  });

  it('a bad payload is refused at submit (400) and nothing is stored', async () => {
    const before = Number((await cp.query('SELECT count(*) FROM gateway_deferred_request_queue')).rows[0].count);
    for (const [path, body, code] of [
      ['/gateway/query', { sql: 'SELECT 1' }, 'invalid_query_payload'],
      ['/gateway/query', { query: '   ' }, 'empty_query'],
      ['/gateway/fetch', { conditions: [] }, undefined],
      [
        '/gateway/fetch',
        { table_name: 'items', conditions: [{ column: 'id', operator: 'nope', value: 1 }] },
        'invalid_fetch_condition',
      ],
    ] as const) {
      const r = await defer(worker, path, body);
      expect(r.status).toBe(400);
      if (code) expect(r.body.code).toBe(code);
    }
    const noClient = await call(`${worker.url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-defer': 'true' },
      json: { query: 'SELECT 1' },
    });
    expect(noClient.status).toBe(400);
    const insert = await call(`${worker.url}/gateway/insert`, {
      method: 'PUT',
      headers: { 'x-athena-client': 'main', 'x-athena-defer': 'true' },
      json: { table_name: 'items', insert_body: { id: 1000 } },
    });
    expect(insert.status).toBe(400);
    expect(insert.body.code).toBe('deferred_query_not_supported');
    const direct = await defer(worker, '/gateway/query', { query: 'SELECT 1' }, { 'x-pg-uri': data.uri });
    expect(direct.status).toBe(400);
    expect(direct.body.code).toBe('deferred_query_not_supported');
    const after = Number((await cp.query('SELECT count(*) FROM gateway_deferred_request_queue')).rows[0].count);
    expect(after).toBe(before);
    // Not truthy: runs inline.
    const inline = await defer(worker, '/gateway/query', { query: 'SELECT 1 AS one' }, { 'x-athena-defer': 'false' });
    expect(inline.status).toBe(200);
  });

  it('status: unknown → 404, malformed → 400; requeue: 409 while queued, completed → queued → runs again', async () => {
    expect((await status(worker, 'no-such-request')).status).toBe(404);
    expect((await status(worker, 'no-such-request')).body.code).toBe('deferred_request_not_found');
    expect((await status(worker, 'bad id!')).status).toBe(400);
    // The worker app shares the queue: stop it so the job provably stays queued (no race with its 50 ms poll).
    const theWorker = worker.server.app.get(DeferredWorker);
    await theWorker.stop();
    const r = await defer(idle, '/gateway/query', { query: 'SELECT count(*)::int AS n FROM items' });
    expect(r.status).toBe(202);
    const id = r.body.data.request_id as string;
    const queued = await status(idle, id);
    expect(queued.body.data).toMatchObject({ status: 'queued', attempts: 0, result: null, started_at: null });
    const conflict = await call(`${idle.url}/gateway/deferred/${id}/requeue`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('deferred_request_not_requeueable');
    theWorker.start();
    const s = await finished(worker, id); // the other app's worker takes it
    expect(s.body.data).toMatchObject({ status: 'completed', attempts: 1 });
    expect(s.body.data.result.data).toEqual([{ n: 50 }]);
    const rq = await call(`${idle.url}/gateway/deferred/${id}/requeue`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
    });
    expect(rq.status).toBe(200);
    expect(rq.body.data).toMatchObject({
      status: 'queued',
      reason: 'requeued',
      attempts: 1,
      result: null,
      error: null,
    });
    const again = await finished(worker, id);
    expect(again.body.data).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('a failing job is failed with the error envelope; a write is not retried', async () => {
    const r = await defer(worker, '/gateway/query', { query: "INSERT INTO items (id, name) VALUES (1, 'dup')" });
    const s = await finished(worker, r.body.data.request_id);
    expect(s.body.data).toMatchObject({ status: 'failed', reason: 'error', attempts: 1, result_status: 409 });
    expect(s.body.data.result).toMatchObject({ status: 'error' });
    expect(s.body.data.error).toMatch(/^[a-z_]+: /);
  });

  it('ownership: without enforcement, the same client sees the job; another client gets 404; the admin key sees all', async () => {
    const r = await defer(worker, '/gateway/query', { query: 'SELECT 1 AS one' });
    const id = r.body.data.request_id as string;
    expect((await status(worker, id, { 'x-athena-client': 'main' })).status).toBe(200);
    expect((await status(worker, id, { 'x-athena-client': 'other' })).status).toBe(404);
    expect((await status(worker, id, {})).status).toBe(404);
    expect((await status(worker, id, { 'x-athena-admin-key': ADMIN_KEY, 'x-athena-client': 'other' })).status).toBe(
      200,
    );
  });

  it("ownership under enforcement: only the submitting key (and the admin key) see a job; the worker acts with the key's rights", async () => {
    const adm = (method: string, path: string, json?: unknown) =>
      call(`${worker.url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY }, json });
    for (const name of ['items.read']) expect((await adm('POST', '/admin/api-key-rights', { name })).status).toBe(201);
    const k1 = (await adm('POST', '/admin/api-keys', { name: 'k1', rights: ['items.read', 'gateway.query'] })).body.data
      .api_key as string;
    const k2 = (await adm('POST', '/admin/api-keys', { name: 'k2', rights: ['items.read', 'gateway.query'] })).body.data
      .api_key as string;
    const k3 = (await adm('POST', '/admin/api-keys', { name: 'k3', rights: ['items.read'] })).body.data
      .api_key as string;
    expect((await adm('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
    try {
      const bearer = (k: string) => ({ 'x-athena-client': 'main', authorization: `Bearer ${k}` });
      // Rights are checked at submit: k3 lacks gateway.query.
      const denied = await defer(worker, '/gateway/query', { query: 'SELECT 1' }, { authorization: `Bearer ${k3}` });
      expect(denied.status).toBe(403);
      const noKey = await defer(worker, '/gateway/query', { query: 'SELECT 1' });
      expect(noKey.status).toBe(401);
      const r = await defer(
        worker,
        '/gateway/fetch',
        { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 2 }] },
        { authorization: `Bearer ${k1}` },
      );
      expect(r.status).toBe(202);
      const id = r.body.data.request_id as string;
      const row = (await cp.query('SELECT * FROM gateway_deferred_request_queue WHERE request_id = $1', [id])).rows[0];
      expect(row.principal_kind).toBe('key');
      expect(JSON.stringify(row)).not.toContain(k1.slice(-12)); // never the secret
      const mine = await waitFor(
        () => status(worker, id, bearer(k1)),
        (x) => x.status === 200 && x.body.data.status === 'completed',
      );
      expect(mine.body.data.result.data).toEqual([{ id: 2, name: 'n2' }]);
      expect((await status(worker, id, bearer(k2))).status).toBe(404);
      expect((await status(worker, id, { 'x-athena-client': 'main' })).status).toBe(401);
      expect((await status(worker, id, { 'x-athena-admin-key': ADMIN_KEY })).status).toBe(200);
    } finally {
      expect((await adm('PUT', '/admin/api-key-config', { enforce_api_keys: false })).status).toBe(200);
    }
  });

  it('results above deferred_query_result_max_bytes are cut and marked truncated', async () => {
    // Its own control plane: on the shared one the suite's always-on worker (default cap) could claim the job first.
    const ownControl = await createTestDatabase('deferred_small_control');
    const small = await bootApp({
      gateway: { logging_pg_uri: ownControl.uri, deferred_query_result_max_bytes: 1024 },
      postgres_clients: { main: data.uri },
    });
    try {
      const r = await defer(small, '/gateway/query', {
        query: "SELECT id, repeat('x', 100) AS pad FROM items ORDER BY id",
      });
      const id = r.body.data.request_id as string;
      small.server.app.get(DeferredWorker).start();
      const s = await waitFor(
        () => status(small, id),
        (x) => x.body.data?.status === 'completed',
      );
      expect(s.body.data.truncated).toBe(true);
      expect(s.body.data.result.truncated).toBe(true);
      expect(s.body.data.result.count).toBe(50);
      expect(s.body.data.result.data.length).toBeLessThan(50);
      expect(Buffer.byteLength(JSON.stringify(s.body.data.result))).toBeLessThanOrEqual(1024);
    } finally {
      await small.close();
      await ownControl.drop();
    }
  });

  it('finished jobs older than deferred_queue_retention_secs are purged by a worker; younger ones stay', async () => {
    const r = await defer(worker, '/gateway/query', { query: 'SELECT 1 AS old' });
    const oldId = r.body.data.request_id as string;
    await finished(worker, oldId);
    const fresh = await defer(worker, '/gateway/query', { query: 'SELECT 1 AS fresh' });
    await finished(worker, fresh.body.data.request_id);
    await cp.query(
      `UPDATE gateway_deferred_request_queue SET completed_at = now() - interval '2 hours' WHERE request_id = $1`,
      [oldId],
    );
    const purger = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        deferred_query_worker_enabled: true,
        deferred_queue_retention_secs: 3600,
      },
      postgres_clients: { main: data.uri },
    });
    try {
      await waitFor(
        () => status(worker, oldId),
        (x) => x.status === 404,
      );
      expect((await status(worker, fresh.body.data.request_id)).status).toBe(200);
    } finally {
      await purger.close();
    }
  });

  it('metrics: queue depth by status, oldest age, storage_up and lifecycle events', async () => {
    const m = (await call(`${worker.url}/metrics`)).text;
    expect(m).toMatch(/athena_gateway_deferred_queue_requests\{status="completed"\} [1-9]/);
    expect(m).toMatch(/athena_gateway_deferred_queue_requests\{status="queued"\} \d+/);
    expect(m).toMatch(/athena_gateway_deferred_queue_oldest_age_seconds \d/);
    expect(m).toMatch(/athena_gateway_deferred_queue_storage_up 1/);
    expect(m).toMatch(/athena_gateway_deferred_events_total\{kind="query",status="completed"\} [1-9]/);
    expect(m).toMatch(/athena_gateway_deferred_events_total\{kind="query",status="queued"\} [1-9]/);
  });

  it('control plane down: submit and status answer 503 + Retry-After (never 202), storage_up 0; recovery is automatic', async () => {
    const proxy = await TcpProxy.start(new URL(control.uri));
    const u = new URL(control.uri);
    u.host = `127.0.0.1:${proxy.port}`;
    const app = await bootApp({ gateway: { logging_pg_uri: u.toString() }, postgres_clients: { main: data.uri } });
    try {
      const ok = await defer(app, '/gateway/query', { query: 'SELECT 1 AS one' });
      expect(ok.status).toBe(202);
      const id = ok.body.data.request_id as string;
      await proxy.stop();
      const down = await defer(app, '/gateway/query', { query: 'SELECT 2 AS two' });
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('deferred_queue_unavailable');
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      const st = await status(app, id);
      expect(st.status).toBe(503);
      expect(st.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await call(`${app.url}/metrics`)).text).toMatch(/athena_gateway_deferred_queue_storage_up 0/);
      const rows = Number(
        (
          await cp.query(
            `SELECT count(*) FROM gateway_deferred_request_queue WHERE payload->>'query' = 'SELECT 2 AS two'`,
          )
        ).rows[0].count,
      );
      expect(rows).toBe(0);
      await proxy.resume();
      const back = await waitFor(
        () => defer(app, '/gateway/query', { query: 'SELECT 3 AS three' }),
        (x) => x.status === 202,
        20_000,
        200,
      );
      expect(back.status).toBe(202);
      expect((await status(app, id)).status).toBe(200);
      await waitFor(
        () => call(`${app.url}/metrics`).then((x) => x.text),
        (t) => /athena_gateway_deferred_queue_storage_up 1/.test(t),
      );
    } finally {
      await app.close();
      await proxy.close();
    }
  }, 60_000);
});
