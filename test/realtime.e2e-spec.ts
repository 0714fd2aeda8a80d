import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import Ajv from 'ajv';
import { schemas as asyncApiSchemas } from '@asyncapi/specs';
import { parse as parseYaml } from 'yaml';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, serviceUrl, TestDatabase } from './support/services';
import { WsClient } from './support/ws-client';

const ADMIN_KEY = `admin-${randomBytes(8).toString('hex')}`;

/**
 * The WebSocket gateway end to end: real `ws` clients against the real app, a real PostgreSQL and Redis.
 */
describeWith('postgres')('WebSocket gateway /wss/gateway (real app, real PostgreSQL)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let cp: Client;
  const savedAdminKey = process.env.ATHENA_KEY_12;
  const H = { 'x-athena-client': 'main' };
  const wsUrl = () => `${app.url}/wss/gateway`;
  let seq = 0;
  const rid = (p: string) => `${p}-${++seq}-${randomBytes(3).toString('hex')}`;
  const admin = (method: string, path: string, json?: unknown) =>
    call(`${app.url}${path}`, { method, headers: { 'x-athena-admin-key': ADMIN_KEY }, json });

  async function logRows(requestId: string): Promise<{ req: any; op: any }> {
    for (let i = 0; i < 100; i++) {
      const req = (
        await cp.query(
          'SELECT client, method, path, status_code, cached, user_id FROM gateway_request_log WHERE request_id = $1',
          [requestId],
        )
      ).rows;
      const op = (
        await cp.query(
          'SELECT operation, table_name, client_name, method, path, status_code, row_count, cached, error, message FROM gateway_operation_log WHERE request_id = $1',
          [requestId],
        )
      ).rows;
      if (req.length > 0 && op.length > 0) return { req: req[0], op: op[0] };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no log rows for ${requestId}`);
  }

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    control = await createTestDatabase('wss_control');
    data = await createTestDatabase('wss_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, qty integer, note text);
      INSERT INTO items (name, qty) VALUES ('apple', 5), ('banana', 12);
      CREATE TABLE secrets (id serial PRIMARY KEY, v text);`);
    await d.end();
    const redis = serviceUrl('redis');
    app = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        websocket: {
          max_in_flight: 4,
          max_frame_bytes: 4096,
          send_queue_max_bytes: 65536,
          max_connections_per_key: 2,
          close_grace_ms: 30000,
          events_channel: `athena:test:wss:${randomBytes(4).toString('hex')}`,
        },
      },
      postgres_clients: { main: data.uri },
      ...(redis ? { redis: { url: redis } } : {}),
      api: { cache: { redis_key_prefix: `athena:test:wss:${randomBytes(4).toString('hex')}:` } },
    });
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  });

  afterAll(async () => {
    await app?.close();
    await cp?.end();
    await data?.drop();
    await control?.drop();
    if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = savedAdminKey;
  });

  it('sends a hello frame after the upgrade; /wss/info tells the truth about state and connections', async () => {
    const ws = await WsClient.open(wsUrl());
    const hello = await ws.next((f) => f.type === 'hello');
    expect(hello).toMatchObject({ request_id: null, status: 'success', data: { max_in_flight: 4 } });
    const info = await call(`${app.url}/wss/info`);
    expect(info.status).toBe(200);
    expect(info.body.data).toMatchObject({
      transport: 'wss',
      path: '/wss/gateway',
      state: 'serving',
      actions: ['gateway.fetch', 'gateway.insert', 'gateway.update', 'gateway.delete', 'gateway.query'],
    });
    expect(info.body.data.connections.open).toBeGreaterThanOrEqual(1);
    const plain = await call(`${app.url}/wss/gateway`);
    expect(plain.status).toBe(426);
    expect(plain.body.code).toBe('upgrade_required');
    await ws.close();
  });

  it('answers the same operations as HTTP with the same data, and writes the same log rows', async () => {
    const ws = await WsClient.open(wsUrl(), { 'user-agent': 'wss-parity' });
    const ops: Array<{ action: string; path: string; method: string; body: unknown }> = [
      {
        action: 'gateway.fetch',
        path: '/gateway/fetch',
        method: 'POST',
        body: {
          table_name: 'items',
          conditions: [{ eq_column: 'name', eq_value: 'apple' }],
          columns: ['id', 'name', 'qty'],
        },
      },
      {
        action: 'gateway.update',
        path: '/gateway/update',
        method: 'POST',
        body: {
          table_name: 'items',
          update_body: { qty: 6 },
          conditions: [{ column: 'name', operator: 'eq', value: 'banana' }],
        },
      },
      { action: 'gateway.fetch', path: '/gateway/fetch', method: 'POST', body: { table_name: 'missing_table' } },
      {
        action: 'gateway.query',
        path: '/gateway/query',
        method: 'POST',
        body: { query: 'SELECT count(*)::int AS n FROM items' },
      },
    ];
    for (const o of ops) {
      const httpId = rid('http');
      const wsId = rid('ws');
      const h = await call(`${app.url}${o.path}`, {
        method: o.method,
        headers: { ...H, 'x-request-id': httpId, 'x-user-id': 'u-1', 'cache-control': 'no-store' },
        json: o.body,
      });
      const w = await ws.request({
        action: o.action,
        request_id: wsId,
        client_name: 'main',
        path: o.path,
        headers: { 'x-user-id': 'u-1', 'cache-control': 'no-store' },
        body: o.body,
      });
      expect(w.request_id).toBe(wsId);
      expect(w.status).toBe(h.body.status);
      expect(w.message).toBe(h.body.message);
      expect(w.http_status).toBe(h.status);
      if (h.status === 200) {
        expect(w.data).toEqual(h.body.data);
        expect(w.count).toBe(h.body.count);
      } else {
        expect(w.data).toBeNull();
        expect(w.code).toBe(h.body.code);
        expect(w.error).toBe(h.body.error);
      }
      const [hl, wl] = [await logRows(httpId), await logRows(wsId)];
      expect(wl.req).toEqual(hl.req);
      expect(wl.op).toEqual(hl.op);
    }
    await ws.close();
  });

  it('bad frames get error frames with stable codes and keep the connection; binary frames close with 1003', async () => {
    const ws = await WsClient.open(wsUrl());
    await ws.next((f) => f.type === 'hello');
    ws.socket.send('not json');
    expect(await ws.next((f) => f.type === 'response')).toMatchObject({
      status: 'error',
      code: 'invalid_json',
      request_id: null,
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ action: 'gateway.explode', request_id: 'c1', client_name: 'main' }, 'unknown_action'],
      [
        { action: 'gateway.fetch', request_id: 'c2', path: '/gateway/fetch', body: { table_name: 'items' } },
        'missing_client_name',
      ],
      [
        { action: 'gateway.fetch', request_id: 'c3', client_name: 'main', path: '/gateway/insert', body: {} },
        'path_action_mismatch',
      ],
      [
        {
          action: 'gateway.fetch',
          request_id: 'c4',
          client_name: 'main',
          body: { table_name: 'items', note: 'x'.repeat(5000) },
        },
        'frame_too_large',
      ],
      [{ action: 'unsubscribe', request_id: 'c5', subscription_id: 'nope' }, 'unknown_subscription'],
    ];
    for (const [frame, code] of cases) {
      ws.socket.send(JSON.stringify(frame));
      const r = await ws.next(
        (f) =>
          f.type === 'response' &&
          (f.request_id === frame.request_id || (code === 'frame_too_large' && f.code === code)),
      );
      expect(r).toMatchObject({ status: 'error', code, data: null });
    }
    // the HTTP body limits apply to frames too: deep nesting and NUL are refused before any recursive code runs
    ws.socket.send(
      `{"action":"gateway.fetch","request_id":"c7","client_name":"main","body":{"table_name":"items","conditions":[{"eq_column":"id","eq_value":${'['.repeat(100)}1${']'.repeat(100)}}]}}`,
    );
    expect(await ws.next((f) => f.type === 'response' && f.code === 'json_too_deep')).toMatchObject({
      status: 'error',
      data: null,
    });
    ws.socket.send(
      '{"action":"gateway.fetch","request_id":"c8","client_name":"main","body":{"table_name":"it\\u0000ems"}}',
    );
    expect(await ws.next((f) => f.type === 'response' && f.code === 'nul_character')).toMatchObject({
      status: 'error',
      data: null,
    });
    // still usable
    const ok = await ws.request({
      action: 'gateway.fetch',
      request_id: 'c6',
      client_name: 'main',
      body: { table_name: 'items', limit: 1 },
    });
    expect(ok.status).toBe('success');
    ws.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await ws.closed).code).toBe(1003);
  });

  it('a flood of frames over the in-flight bound is answered, one response each, without losing any', async () => {
    const ws = await WsClient.open(wsUrl());
    await ws.next((f) => f.type === 'hello');
    const n = 200;
    for (let i = 0; i < n; i++)
      ws.socket.send(
        JSON.stringify({
          action: 'gateway.fetch',
          request_id: `flood-${i}`,
          client_name: 'main',
          body: { table_name: 'items', limit: 1 },
        }),
      );
    const got = new Set<string>();
    for (let i = 0; i < n; i++) got.add((await ws.next((f) => f.type === 'response')).request_id);
    expect(got.size).toBe(n);
    const m = await call(`${app.url}/metrics`);
    expect(m.text).toMatch(/athena_wss_requests_in_flight 0/);
    await ws.close();
  });

  it('subscriptions: events for matching writes (HTTP or WS), filtered by conditions; unsubscribe stops them', async () => {
    const sub = await WsClient.open(wsUrl());
    const all = await sub.request({ action: 'subscribe', request_id: 's1', client_name: 'main', table_name: 'items' });
    expect(all).toMatchObject({ status: 'success', data: { client: 'main', table: 'items' } });
    const big = await sub.request({
      action: 'subscribe',
      request_id: 's2',
      client_name: 'main',
      table_name: 'items',
      conditions: [{ column: 'qty', operator: 'gt', value: 100 }],
    });
    expect(big.status).toBe('success');
    const ins = await call(`${app.url}/gateway/insert`, {
      method: 'PUT',
      headers: H,
      json: {
        table_name: 'items',
        insert_body: [
          { name: 'small', qty: 1 },
          { name: 'huge', qty: 500 },
        ],
      },
    });
    expect(ins.status).toBe(200);
    const e1 = await sub.next((f) => f.type === 'event' && f.subscription_id === all.data.subscription_id);
    expect(e1).toMatchObject({ operation: 'insert', client: 'main', table: 'items' });
    expect(e1.rows.map((r: any) => r.name)).toEqual(['small', 'huge']);
    const e2 = await sub.next((f) => f.type === 'event' && f.subscription_id === big.data.subscription_id);
    expect(e2.rows.map((r: any) => r.name)).toEqual(['huge']);
    // delete through a WebSocket frame of another connection
    const writer = await WsClient.open(wsUrl());
    const del = await writer.request({
      action: 'gateway.delete',
      request_id: 'd1',
      client_name: 'main',
      body: { table_name: 'items', conditions: [{ eq_column: 'name', eq_value: 'small' }] },
    });
    expect(del.status).toBe('success');
    const e3 = await sub.next((f) => f.type === 'event' && f.operation === 'delete');
    expect(e3.subscription_id).toBe(all.data.subscription_id);
    expect(e3.write_request_id).toBe('d1');
    expect(sub.frames.filter((f) => f.type === 'event' && f.subscription_id === big.data.subscription_id)).toEqual([]);
    expect(
      (await sub.request({ action: 'unsubscribe', request_id: 'u1', subscription_id: all.data.subscription_id }))
        .status,
    ).toBe('success');
    await writer.close();
    await sub.close();
  });

  describe('with API key enforcement', () => {
    let readKey = '';
    let otherKey = '';
    beforeAll(async () => {
      for (const name of ['items.read', 'items.write', 'secrets.read'])
        expect((await admin('POST', '/admin/api-key-rights', { name })).status).toBe(201);
      const a = await admin('POST', '/admin/api-keys', { name: 'ws-items', rights: ['items.read', 'items.write'] });
      const b = await admin('POST', '/admin/api-keys', { name: 'ws-secrets', rights: ['secrets.read'] });
      readKey = a.body.data.api_key;
      otherKey = b.body.data.api_key;
      expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
    });
    afterAll(async () => {
      await admin('PUT', '/admin/api-key-config', { enforce_api_keys: false });
    });

    it('authenticates per frame or at the upgrade; a bad key at the upgrade is refused before upgrading', async () => {
      const anon = await WsClient.open(wsUrl());
      expect(
        await anon.request({
          action: 'gateway.fetch',
          request_id: 'k1',
          client_name: 'main',
          body: { table_name: 'items' },
        }),
      ).toMatchObject({ status: 'error', code: 'api_key_required', http_status: 401 });
      expect(
        await anon.request({
          action: 'gateway.fetch',
          request_id: 'k2',
          client_name: 'main',
          headers: { apikey: readKey },
          body: { table_name: 'items' },
        }),
      ).toMatchObject({ status: 'success' });
      expect(
        await anon.request({
          action: 'gateway.fetch',
          request_id: 'k3',
          client_name: 'main',
          headers: { apikey: otherKey },
          body: { table_name: 'items' },
        }),
      ).toMatchObject({ status: 'error', code: 'insufficient_api_key_rights', http_status: 403 });
      await anon.close();
      const keyed = await WsClient.open(wsUrl(), { apikey: readKey });
      expect(
        await keyed.request({
          action: 'gateway.fetch',
          request_id: 'k4',
          client_name: 'main',
          body: { table_name: 'items' },
        }),
      ).toMatchObject({ status: 'success' });
      await expect(WsClient.open(wsUrl(), { apikey: 'ath_nope' })).rejects.toMatchObject({ status: 401 });
      // max_connections_per_key = 2
      const second = await WsClient.open(wsUrl(), { apikey: readKey });
      await expect(WsClient.open(wsUrl(), { apikey: readKey })).rejects.toMatchObject({ status: 429 });
      await second.close();
      await keyed.close();
    });

    it('a subscriber without <table>.read is refused and receives nothing', async () => {
      const intruder = await WsClient.open(wsUrl(), { apikey: otherKey });
      expect(
        await intruder.request({ action: 'subscribe', request_id: 'x1', client_name: 'main', table_name: 'items' }),
      ).toMatchObject({ status: 'error', code: 'insufficient_api_key_rights' });
      const legit = await WsClient.open(wsUrl(), { apikey: readKey });
      expect(
        (await legit.request({ action: 'subscribe', request_id: 'x2', client_name: 'main', table_name: 'items' }))
          .status,
      ).toBe('success');
      expect(
        (
          await call(`${app.url}/gateway/insert`, {
            method: 'PUT',
            headers: { ...H, apikey: readKey },
            json: { table_name: 'items', insert_body: { name: 'seen-by-legit' } },
          })
        ).status,
      ).toBe(200);
      await legit.next((f) => f.type === 'event' && f.rows[0]?.name === 'seen-by-legit');
      // The legit subscriber got the event; the intruder's connection got nothing but its error frame.
      expect(intruder.frames.filter((f) => f.type === 'event')).toEqual([]);
      await intruder.close();
      await legit.close();
    });
  });

  it('a slow consumer is closed with 4008 once its send queue passes the bound; memory stays bounded', async () => {
    const slow = await WsClient.open(wsUrl());
    const s = await slow.request({
      action: 'subscribe',
      request_id: 'slow1',
      client_name: 'main',
      table_name: 'items',
    });
    expect(s.status).toBe('success');
    (slow.socket as any)._socket.pause(); // stop reading: the server's send buffer grows
    const rssBefore = process.memoryUsage().rss;
    const note = 'y'.repeat(2000);
    let closed = false;
    for (let i = 0; i < 400 && !closed; i++) {
      await call(`${app.url}/gateway/insert`, {
        method: 'PUT',
        headers: H,
        json: {
          table_name: 'items',
          insert_body: Array.from({ length: 50 }, (_, j) => ({ name: `slow-${i}-${j}`, note })),
        },
      });
      const info = await call(`${app.url}/admin/wss/connections`, { headers: { 'x-athena-admin-key': ADMIN_KEY } });
      closed = !info.body.data.list.some((c: any) => c.subscriptions.some((x: any) => x.id === s.data.subscription_id));
    }
    expect(closed).toBe(true);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    (slow.socket as any)._socket.resume();
    expect((await slow.closed).code).toBe(4008);
    const m = await call(`${app.url}/metrics`);
    expect(m.text).toMatch(/athena_wss_closed_total\{reason="slow_consumer"\} 1/);
  });

  it('GET /openapi-wss.yaml is valid AsyncAPI 3.0 (official JSON schema via ajv; $refs resolve)', async () => {
    const r = await call(`${app.url}/openapi-wss.yaml`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('yaml');
    const doc = parseYaml(r.text);
    expect(doc.asyncapi).toBe('3.0.0');
    // The official AsyncAPI 3.0.0 JSON schema (@asyncapi/specs) through ajv. (@asyncapi/parser 3.6.3 was tried:
    // its spectral dependency ships two ajv copies that break its code generation in this dependency tree.)
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const schema = JSON.parse(JSON.stringify(asyncApiSchemas['3.0.0'])) as {
      definitions: Record<string, { $id?: string }>;
    };
    // The bundle embeds the draft-07 meta-schema, which ajv already knows.
    for (const [k, v] of Object.entries(schema.definitions))
      if (v.$id?.startsWith('http://json-schema.org/draft-07/schema')) delete schema.definitions[k];
    const validate = ajv.compile(schema);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    // every $ref resolves inside the document
    const refs = [...r.text.matchAll(/\$ref: ['"]?#\/([^'"\n]+)/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const target = ref
        .split('/')
        .reduce((o: any, k) => (o === undefined ? o : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });
});
