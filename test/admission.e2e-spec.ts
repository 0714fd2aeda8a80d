import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { CLI, Child, spawnCli, stopChild, waitFor } from './support/processes';
import { createTestDatabase, freePort, requireService, serviceUrl, TestDatabase } from './support/services';
import { WsClient } from './support/ws-client';
import { validateConfig } from '@athena/config';
import Redis from 'ioredis';
import { PacedBudget, RedisPacedBudget } from '@athena/admission';

/**
 * Admission control on real PostgreSQL and Redis: a global budget shared by two gateway PROCESSES through Redis,
 * 429 + Retry-After + envelope, per-client budgets, admission before body parsing and authentication, deferral
 * instead of rejection, and the in-memory fallback while Redis is unreachable.
 */
const describeBoth = requireService('postgres') && requireService('redis') ? describe : describe.skip;
const ADMIN_KEY = 'admission-e2e-admin-key';

describeBoth('admission control (real PostgreSQL and Redis)', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  const apps: TestApp[] = [];
  const children: Child[] = [];
  const saved = process.env.ATHENA_KEY_12;
  let base: Record<string, any>;

  const prefix = () => `athena:test:adm:${randomBytes(4).toString('hex')}:`;
  const boot = async (gateway: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const a = await bootApp({
      ...base,
      ...extra,
      gateway: { ...base.gateway, admission_limit_enabled: true, admission_redis_key_prefix: prefix(), ...gateway },
    });
    apps.push(a);
    return a;
  };
  const query = (url: string, client = 'main', headers: Record<string, string> = {}) =>
    call(`${url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-client': client, ...headers },
      json: { query: 'SELECT 1 AS one' },
    });

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('adm_control');
    data = await createTestDatabase('adm_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(`CREATE TABLE items (id integer PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a');`);
    await d.end();
    base = {
      gateway: { logging_pg_uri: control.uri, deferred_query_worker_poll_ms: 50 },
      postgres_clients: { main: data.uri, other: data.uri },
      redis: { url: serviceUrl('redis') },
    };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    for (const a of apps) await a.close();
    await data?.drop();
    await control?.drop();
    if (saved === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = saved;
  });

  it('two gateway processes sharing Redis admit the global budget per window between them; the rest get 429 + Retry-After', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    const LIMIT = 20;
    const gw = {
      admission_global_requests_per_window: LIMIT,
      admission_window_secs: 30,
      admission_redis_key_prefix: prefix(),
    };
    const a = await bootApp({ ...base, gateway: { ...base.gateway, admission_limit_enabled: true, ...gw } });
    apps.push(a);
    const port = await freePort();
    const b = spawnCli(['server'], {
      ...base,
      gateway: { ...base.gateway, admission_limit_enabled: true, ...gw },
      api: { host: '127.0.0.1', port },
    });
    children.push(b);
    const bUrl = `http://127.0.0.1:${port}`;
    await waitFor(
      () => call(`${bUrl}/ready`).catch(() => null),
      (r) => r?.status === 200 || b.proc.exitCode !== null,
      30_000,
      100,
    );
    expect(b.proc.exitCode).toBeNull();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => query(i % 2 === 0 ? a.url : bUrl)));
    const admitted = results.filter((r) => r.status === 200).length;
    const rejected = results.filter((r) => r.status === 429);
    expect(admitted + rejected.length).toBe(40);
    // One shared counter: the sum admitted respects the budget (one window's tolerance if the burst straddles one).
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(2 * LIMIT);
    const byProc = [0, 1].map((p) => results.filter((r, i) => i % 2 === p && r.status === 429).length);
    expect(byProc[0] + byProc[1]).toBe(rejected.length);
    const r = rejected[0];
    expect(r.body).toMatchObject({
      status: 'error',
      code: 'admission_rejected',
      message: 'Too many requests',
      data: { scope: 'global' },
    });
    const ra = Number(r.headers.get('retry-after'));
    expect(ra).toBeGreaterThanOrEqual(1);
    expect(ra).toBeLessThanOrEqual(30);
    expect(r.body.data.retry_after_seconds).toBe(ra);
    expect(r.headers.get('x-request-id')).toBeTruthy();
    // Each process counts its own decisions; together they account for every request.
    let seen = 0;
    for (const url of [a.url, bUrl]) {
      const m = (await call(`${url}/metrics`)).text;
      expect(m).toMatch(/athena_gateway_admission_degraded 0/);
      for (const re of [
        /athena_gateway_admission_decisions_total\{outcome="admitted",scope="none"\} (\d+)/,
        /athena_gateway_admission_decisions_total\{outcome="rejected",scope="global"\} (\d+)/,
      ]) {
        seen += Number(re.exec(m)?.[1] ?? 0);
      }
    }
    expect(seen).toBe(40);
    process.stdout.write(
      `[admission] two processes, global budget ${LIMIT}: admitted ${admitted} of 40 (A rejected ${byProc[0]}, B rejected ${byProc[1]})\n`,
    );
    await stopChild(b);
  }, 60_000);

  it('admission_burst_requests caps what an idle budget admits at once; the refusal says when the next call is admitted', async () => {
    // 60 calls per 60 s (one a second sustained), at most 2 at once: the third call right away is refused.
    const a = await boot({
      admission_per_client_requests_per_window: 60,
      admission_window_secs: 60,
      admission_burst_requests: 2,
    });
    expect((await query(a.url, 'main')).status).toBe(200);
    expect((await query(a.url, 'main')).status).toBe(200);
    const over = await query(a.url, 'main');
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'admission_rejected', data: { scope: 'client', retry_after_seconds: 1 } });
    expect(over.headers.get('retry-after')).toBe('1');
  });

  it('an invalid admission_burst_requests stops the start with a message naming the key', () => {
    expect(() => validateConfig({ gateway: { admission_burst_requests: -1 } })).toThrow(
      /gateway\.admission_burst_requests/,
    );
  });

  it('per-client budgets: one client over its budget does not block another; health and status routes are not counted', async () => {
    const a = await boot({ admission_per_client_requests_per_window: 3, admission_window_secs: 30 });
    for (let i = 0; i < 3; i++) expect((await query(a.url, 'main')).status).toBe(200);
    const over = await query(a.url, 'main');
    expect(over.status).toBe(429);
    expect(over.body.data.scope).toBe('client');
    expect((await query(a.url, 'other')).status).toBe(200);
    expect((await call(`${a.url}/health`)).status).toBe(200);
    expect((await call(`${a.url}/gateway/deferred/nope`, { headers: { 'x-athena-client': 'main' } })).status).toBe(404);
    expect((await call(`${a.url}/metrics`)).text).toMatch(
      /athena_gateway_admission_decisions_total\{outcome="rejected",scope="client"\} 1/,
    );
  });

  it('WebSocket frames draw on the same budgets as HTTP: over budget → an admission_rejected error frame, connection kept', async () => {
    const a = await boot({ admission_per_client_requests_per_window: 3, admission_window_secs: 30 });
    expect((await query(a.url, 'main')).status).toBe(200); // one from the budget over HTTP
    const ws = await WsClient.open(`${a.url}/wss/gateway`);
    try {
      const frame = (n: number) => ({
        action: 'gateway.query',
        request_id: `adm-ws-${n}`,
        client_name: 'main',
        body: { query: 'SELECT 1 AS one' },
      });
      expect((await ws.request(frame(1))).status).toBe('success');
      expect((await ws.request(frame(2))).status).toBe('success');
      const over = await ws.request(frame(3));
      expect(over).toMatchObject({
        request_id: 'adm-ws-3',
        status: 'error',
        code: 'admission_rejected',
        http_status: 429,
        data: null,
      });
      expect(over.retry_after).toBeGreaterThan(0);
      expect((await query(a.url, 'main')).status).toBe(429); // the HTTP side sees the same exhausted budget
      expect((await query(a.url, 'other')).status).toBe(200);
      const fresh = await ws.request({ ...frame(4), client_name: 'other' }); // the connection is still usable
      expect(fresh.status).toBe('success');
    } finally {
      await ws.close();
    }
    expect((await call(`${a.url}/metrics`)).text).toMatch(
      /athena_gateway_admission_decisions_total\{outcome="rejected",scope="client"\} 2/,
    );
  });

  it('admission runs before the body is parsed and before authentication', async () => {
    const a = await boot({ admission_per_client_requests_per_window: 2, admission_window_secs: 30 });
    const adm = (method: string, path: string, json?: unknown) =>
      call(`${a.url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY }, json });
    expect((await adm('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
    try {
      const bad = () =>
        call(`${a.url}/gateway/query`, {
          method: 'POST',
          headers: { 'x-athena-client': 'gated', 'content-type': 'application/json' },
          body: '{not json',
        });
      expect((await bad()).status).toBe(401); // within budget: authentication answers first
      expect((await bad()).status).toBe(401);
      const third = await bad();
      expect(third.status).toBe(429); // over budget: neither the key nor the body was looked at
      expect(third.body.code).toBe('admission_rejected');
    } finally {
      expect((await adm('PUT', '/admin/api-key-config', { enforce_api_keys: false })).status).toBe(200);
    }
  });

  it('defer on limit: over budget on a matching route → 202 and the job runs; other routes and direct URIs → 429; X-Athena-Defer is honoured', async () => {
    const a = await boot({
      admission_global_requests_per_window: 2,
      admission_window_secs: 30,
      admission_defer_on_limit_enabled: true,
      admission_defer_route_prefixes: ['/gateway/query'],
      deferred_query_worker_enabled: true,
    });
    expect((await query(a.url)).status).toBe(200);
    expect((await query(a.url)).status).toBe(200);
    const deferred = await query(a.url);
    expect(deferred.status).toBe(202);
    expect(deferred.body.data).toMatchObject({ status: 'queued', deferred: true });
    const id = deferred.body.data.request_id as string;
    const s = await waitFor(
      () => call(`${a.url}/gateway/deferred/${id}`, { headers: { 'x-athena-client': 'main' } }),
      (x) => x.body.data?.status === 'completed',
    );
    expect(s.body.data.result.data).toEqual([{ one: 1 }]);
    const fetchOver = await call(`${a.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { table_name: 'items' },
    });
    expect(fetchOver.status).toBe(429);
    const direct = await query(a.url, 'main', { 'x-pg-uri': data.uri });
    expect(direct.status).toBe(429);
    const explicit = await call(`${a.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', 'x-athena-defer': 'true' },
      json: { table_name: 'items' },
    });
    expect(explicit.status).toBe(202);
    const badDeferred = await call(`${a.url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { nope: 1 },
    });
    expect(badDeferred.status).toBe(400); // validated at submit, not later in the worker
    const m = (await call(`${a.url}/metrics`)).text;
    expect(m).toMatch(/athena_gateway_admission_decisions_total\{outcome="deferred",scope="global"\} [1-9]/);
    expect(m).toMatch(/athena_gateway_admission_decisions_total\{outcome="rejected",scope="global"\} [1-9]/);
  });

  it('Redis unreachable: budgets are counted in memory (degraded, in a metric) — never unlimited', async () => {
    const dead = await freePort();
    const a = await boot(
      { admission_global_requests_per_window: 3, admission_window_secs: 30 },
      { redis: { url: `redis://127.0.0.1:${dead}` } },
    );
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await query(a.url)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const m = (await call(`${a.url}/metrics`)).text;
    expect(m).toMatch(/athena_gateway_admission_degraded 1/);
    expect(m).toMatch(/athena_gateway_admission_memory_decisions_total 5/);
    expect(a.logs.text()).toContain('Redis unreachable');
  });

  it('the paced budget script on real Redis: two instances share one budget, refusals say when the next admission is', async () => {
    const key = `${prefix()}g:`;
    const budget = new PacedBudget(5, 60_000); // one admission every 12 s once the burst of 5 is spent
    const r1 = new Redis(serviceUrl('redis') as string);
    const r2 = new Redis(serviceUrl('redis') as string);
    try {
      const a = new RedisPacedBudget(r1, budget, key);
      const b = new RedisPacedBudget(r2, budget, key);
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await (i % 2 ? a : b).take('all'));
      expect(results.map((r) => r.admitted)).toEqual([true, true, true, true, true, false, false, false]);
      const refused = results[5];
      expect(refused.retryMs).toBeGreaterThan(10_000);
      expect(refused.retryMs).toBeLessThanOrEqual(12_000);
      // The refused instance answers from memory until then (no Redis call); the state key expires with the burst.
      expect(await (a.take('all') as unknown)).toMatchObject({ admitted: false });
      const ttl = await r1.pttl(`${key}all`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });
});
