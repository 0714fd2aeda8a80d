import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { OPENAPI_SNAPSHOT_PATH } from '../apps/athena/src/openapi-document';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase } from './support/services';

/** The HTTP surface of the platform: every operational route, the error envelope, request ids. */
describe('platform (real app, real PostgreSQL)', () => {
  let app: TestApp;
  let db: { uri: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase('platform');
    app = await bootApp({
      api: { body_limit_bytes: 4096 },
      gateway: { logging_pg_uri: db.uri },
      postgres_clients: { main: db.uri },
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('GET / describes the service with links to the docs and the spec', async () => {
    const r = await call(`${app.url}/`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'athena',
      docs: '/docs',
      openapi: { yaml: '/openapi.yaml', json: '/openapi.json' },
    });
    expect(r.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('GET /ping answers pong', async () => {
    const r = await call(`${app.url}/ping`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('pong');
  });

  it('GET /health reports the control plane and the clients', async () => {
    const r = await call(`${app.url}/health`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.details.control_plane).toMatchObject({ status: 'up', origin: 'configured', migrated: true });
    expect(r.body.details.clients.clients).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'main', configured: true })]),
    );
    expect(JSON.stringify(r.body)).not.toContain(db.uri);
  });

  it('GET /ready is 200 once migrations ran', async () => {
    const r = await call(`${app.url}/ready`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ready' });
  });

  it('migrations created the control-plane tables', async () => {
    const r = await call(`${app.url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { query: `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1` },
    });
    expect(r.status).toBe(200);
    const names = r.body.data.map((x: { table_name: string }) => x.table_name);
    expect(names).toEqual(
      expect.arrayContaining(['athena_clients', 'gateway_request_log', 'gateway_operation_log', 'athena_migrations']),
    );
  });

  it('GET /metrics exposes uptime and HTTP counters labelled by route template and status class', async () => {
    await call(`${app.url}/ping`);
    await call(`${app.url}/definitely-not-here`);
    const r = await call(`${app.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toMatch(/^# TYPE athena_uptime_seconds gauge$/m);
    expect(r.text).toMatch(/^athena_uptime_seconds \d+(\.\d+)?/m);
    expect(r.text).toMatch(/athena_http_requests_total\{method="GET",route="\/ping",status_class="2xx"\} \d+/);
    expect(r.text).toMatch(/athena_http_requests_total\{method="GET",route="unmatched",status_class="4xx"\} \d+/);
    expect(r.text).toMatch(
      /athena_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/ping",status_class="2xx"\}/,
    );
  });

  it('serves Swagger UI and the generated OpenAPI 3 spec as JSON and YAML', async () => {
    const ui = await call(`${app.url}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    const json = await call(`${app.url}/openapi.json`);
    expect(json.status).toBe(200);
    const spec = json.body;
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of [
      '/',
      '/ping',
      '/health',
      '/health/cluster',
      '/ready',
      '/metrics',
      '/gateway/fetch',
      '/gateway/data',
      '/data',
      '/gateway/insert',
      '/gateway/update',
      '/gateway/delete',
      '/gateway/query',
      '/query/sql',
      '/admin/api-keys',
      '/admin/api-keys/{id}',
      '/admin/api-key-rights',
      '/admin/api-key-rights/{id}',
      '/admin/api-key-config',
      '/admin/api-key-clients',
      '/admin/api-key-clients/{client_name}',
    ]) {
      expect(spec.paths).toHaveProperty([path]);
    }
    // Every operation says what it does and what it answers.
    for (const [path, ops] of Object.entries(
      spec.paths as Record<string, Record<string, { summary?: string; responses?: Record<string, unknown> }>>,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        expect({
          op: `${method.toUpperCase()} ${path}`,
          summary: typeof op.summary === 'string' && op.summary.length > 0,
        }).toEqual({ op: `${method.toUpperCase()} ${path}`, summary: true });
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
      }
    }
    // Admin routes declare the admin key.
    expect(spec.paths['/admin/api-keys'].get.security).toEqual(expect.arrayContaining([{ adminKey: [] }]));
    expect(Object.keys(spec.paths['/gateway/insert'])).toContain('put');
    expect(Object.keys(spec.paths['/gateway/delete'])).toContain('delete');
    expect(spec.components.securitySchemes).toMatchObject({
      adminKey: { type: 'apiKey', name: 'X-Athena-Admin-Key' },
      apiKey: { type: 'apiKey' },
    });
    expect(spec.components.schemas).toHaveProperty('FetchRequestDto');
    const yaml = await call(`${app.url}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(yaml.text).not.toMatch(/[&*]a\d+\b/); // no YAML anchors/aliases
    expect(parseYaml(yaml.text)).toEqual(spec);
  });

  it('serves the document committed in docs/openapi.snapshot.yaml (the one the unit snapshot test builds without services)', async () => {
    const served = (await call(`${app.url}/openapi.yaml`)).text;
    expect(served).toBe(readFileSync(OPENAPI_SNAPSHOT_PATH, 'utf8'));
  });

  it('unknown route → 404 not_found envelope', async () => {
    const r = await call(`${app.url}/nope/nothing`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 'error', code: 'not_found' });
    expect(typeof r.body.message).toBe('string');
    expect(typeof r.body.error).toBe('string');
  });

  it('malformed JSON → 400 invalid_json', async () => {
    const r = await call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-athena-client': 'main' },
      body: '{"table_name": ',
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 'error', code: 'invalid_json' });
  });

  it('body over api.body_limit_bytes → 413 payload_too_large', async () => {
    const r = await call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { table_name: 'x', pad: 'y'.repeat(10_000) },
    });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ status: 'error', code: 'payload_too_large' });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const a = await call(`${app.url}/ping`, { headers: { 'x-request-id': 'abc-123.DEF:9' } });
    expect(a.headers.get('x-request-id')).toBe('abc-123.DEF:9');
    const b = await call(`${app.url}/ping`, { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const c = await call(`${app.url}/nope`);
    expect(c.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one JSON log line per request with request id, route, status and duration', async () => {
    await call(`${app.url}/ping`, { headers: { 'x-request-id': 'log-line-check' } });
    await new Promise((r) => setTimeout(r, 50));
    const line = app.logs.json().find((l) => l.request_id === 'log-line-check' && l.msg === 'request completed');
    expect(line).toMatchObject({ method: 'GET', route: '/ping', status: 200 });
    expect(typeof line!.duration_ms).toBe('number');
  });
});
