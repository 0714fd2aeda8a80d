/**
 * Supabase adapter, contract-tested: the real supabase-js inside the real app talks to a local PostgREST stand-in
 * (test/support/postgrest-recorder.ts) that records each request and answers in PostgREST's documented formats.
 * No live PostgREST runs here; these tests pin the exact HTTP requests and the mapping of every answer.
 */
import { SupabaseDriver } from '@athena/drivers';
import { bootApp, call, TestApp } from './support/app';
import { PostgrestRecorder, pgrstError } from './support/postgrest-recorder';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

const KEY = 'sb-service-key-7f3a9c';
const CUSTOM_KEY = 'custom-key-c0ffee-42';

describeWith('postgres')('Supabase adapter (supabase-js against a recording PostgREST stand-in)', () => {
  let control: TestDatabase;
  let rec: PostgrestRecorder;
  let flaky: PostgrestRecorder;
  let app: TestApp;
  const H = { 'x-athena-client': 'sb' };
  const post = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'POST', headers, json });
  const put = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'PUT', headers, json });
  const del = (path: string, json: unknown, headers: Record<string, string> = H) =>
    call(`${app.url}${path}`, { method: 'DELETE', headers, json });

  beforeAll(async () => {
    control = await createTestDatabase('sb_control');
    rec = await PostgrestRecorder.start();
    flaky = await PostgrestRecorder.start();
    app = await bootApp({
      // Contract tests of the adapter: every request must reach the PostgREST stand-in, so the response cache
      // (which would answer repeated identical fetches itself) is off here; test/cache*.e2e-spec.ts cover it.
      api: { cache_ttl_seconds: 0 },
      gateway: {
        logging_pg_uri: control.uri,
        max_rows: 50,
        supabase: { breaker_volume_threshold: 2, breaker_error_threshold_percentage: 50, breaker_reset_ms: 600 },
      },
      supabase_clients: {
        sb: { url: rec.url, key: KEY, timeout_ms: 2000 },
        flaky: { url: flaky.url, key: KEY },
        slow: { url: flaky.url, key: KEY, timeout_ms: 200 },
        dead: { url: 'http://127.0.0.1:1', key: KEY },
        other_schema: { url: rec.url, key: KEY, schema: 'api' },
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await rec?.close();
    await flaky?.close();
    await control?.drop();
  });

  beforeEach(() => {
    rec.reset([
      { id: 1, name: 'apple' },
      { id: 2, name: 'banana' },
    ]);
  });

  describe('requests supabase-js sends for each gateway operation', () => {
    it('fetch: select, every filter operator, order and range; rows come back in the envelope', async () => {
      const r = await post('/gateway/fetch', {
        table_name: 'items',
        columns: ['id', 'name'],
        conditions: [
          { eq_column: 'name', eq_value: 'apple' },
          { column: 'qty', operator: 'neq', value: 3 },
          { column: 'qty', operator: 'gt', value: 1 },
          { column: 'qty', operator: 'gte', value: 2 },
          { column: 'price', operator: 'lt', value: 10 },
          { column: 'price', operator: 'lte', value: 9.5 },
          { column: 'name', operator: 'like', value: 'a%' },
          { column: 'name', operator: 'ilike', value: '%PP%' },
          { column: 'flag', operator: 'is', value: true },
          { column: 'id', operator: 'in', value: [1, 2, 'x,y'] },
          { column: 'tags', operator: 'contains', value: ['red', 'fruit'] },
          { column: 'tags', operator: 'containedBy', value: ['red', 'fruit', 'green'] },
          { column: 'note', operator: 'eq', value: null },
        ],
        sort_by: { field: 'id', direction: 'desc' },
        limit: 10,
        offset: 5,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: 'success',
        message: 'Fetched 2 rows',
        count: 2,
        data: [
          { id: 1, name: 'apple' },
          { id: 2, name: 'banana' },
        ],
      });
      const q = rec.last();
      expect(q.method).toBe('GET');
      expect(q.path).toBe('/rest/v1/items');
      expect(q.params).toEqual([
        ['select', 'id,name'],
        ['name', 'eq.apple'],
        ['qty', 'neq.3'],
        ['qty', 'gt.1'],
        ['qty', 'gte.2'],
        ['price', 'lt.10'],
        ['price', 'lte.9.5'],
        ['name', 'like.a%'],
        ['name', 'ilike.%PP%'],
        ['flag', 'is.true'],
        ['id', 'in.(1,2,"x,y")'],
        ['tags', 'cs.{red,fruit}'],
        ['tags', 'cd.{red,fruit,green}'],
        ['note', 'is.null'],
        ['order', 'id.desc'],
        ['offset', '5'],
        ['limit', '10'],
      ]);
      expect(q.headers).toMatchObject({ apikey: KEY, authorization: `Bearer ${KEY}`, 'accept-profile': 'public' });
      expect(q.body).toBeUndefined();
    });

    it('fetch: negation, OR groups (SDK strings) and the max_rows probe with truncated: true', async () => {
      rec.reply({ status: 200, body: Array.from({ length: 51 }, (_, i) => ({ id: i })) });
      const r = await post('/gateway/fetch', {
        table_name: 'items',
        conditions: [
          { operator: 'not', value: 'name.eq.apple' },
          { operator: 'not', value: 'id.in.(1,2)' },
          { operator: 'or', value: 'name.eq.a b,qty.gt.3,note.is.null' },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(50);
      expect(r.body.truncated).toBe(true);
      expect(rec.last().params).toEqual([
        ['select', '*'],
        ['name', 'not.eq.apple'],
        ['id', 'not.in.(1,2)'],
        ['or', '(name.eq.a b,qty.gt.3,note.is.null)'],
        ['offset', '0'],
        ['limit', '51'],
      ]);
    });

    it('GET /data maps to the same request', async () => {
      const r = await call(`${app.url}/data?view=items&eq_column=id&eq_value=2&columns=id,name&limit=3`, {
        headers: H,
      });
      expect(r.status).toBe(200);
      expect(rec.last().params).toEqual([
        ['select', 'id,name'],
        ['id', 'eq.2'],
        ['offset', '0'],
        ['limit', '3'],
      ]);
    });

    it('schema-qualified tables use Accept-Profile; a client schema is the default profile', async () => {
      await post('/gateway/fetch', { table_name: 'reporting.daily', columns: 'day' });
      expect(rec.last()).toMatchObject({
        path: '/rest/v1/daily',
        headers: expect.objectContaining({ 'accept-profile': 'reporting' }),
      });
      await post('/gateway/fetch', { table_name: 'daily' }, { 'x-athena-client': 'other_schema' });
      expect(rec.last().headers['accept-profile']).toBe('api');
    });

    it('insert: one object → POST with Prefer return=representation, the row back as data', async () => {
      const r = await put('/gateway/insert', { table_name: 'items', insert_body: { name: 'cherry', qty: 3 } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', count: 1, data: { name: 'cherry', qty: 3 } });
      const q = rec.last();
      expect(q.method).toBe('POST');
      expect(q.path).toBe('/rest/v1/items');
      expect(q.params).toEqual([
        ['columns', '"name","qty"'],
        ['select', '*'],
      ]);
      expect(q.headers.prefer).toBe('return=representation');
      expect(q.headers['content-profile']).toBe('public');
      expect(q.headers['content-type']).toBe('application/json');
      expect(q.body).toEqual([{ name: 'cherry', qty: 3 }]);
    });

    it('insert: an array with a RETURNING projection', async () => {
      const r = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: [{ name: 'a' }, { name: 'b', qty: 1 }],
        columns: ['name'],
      });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(2);
      expect(rec.last().params).toEqual([
        ['columns', '"name","qty"'],
        ['select', 'name'],
      ]);
      expect(rec.last().body).toEqual([{ name: 'a' }, { name: 'b', qty: 1 }]);
    });

    it('upsert: on_conflict → merge-duplicates; only conflict columns → ignore-duplicates', async () => {
      let r = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: [{ name: 'a', qty: 9 }],
        on_conflict: 'name',
      });
      expect(r.status).toBe(200);
      expect(rec.last().params).toEqual([
        ['on_conflict', 'name'],
        ['columns', '"name","qty"'],
        ['select', '*'],
      ]);
      expect(rec.last().headers.prefer).toBe('resolution=merge-duplicates, return=representation');
      r = await put('/gateway/insert', { table_name: 'items', insert_body: { name: 'a' }, on_conflict: ['name'] });
      expect(r.status).toBe(200);
      expect(rec.last().headers.prefer).toBe('resolution=ignore-duplicates, return=representation');
    });

    it('upsert with a separate update_body is refused with 422 (PostgREST cannot express it)', async () => {
      const before = rec.requests.length;
      const r = await put('/gateway/insert', {
        table_name: 'items',
        insert_body: { name: 'a' },
        on_conflict: 'name',
        update_body: { qty: 1 },
      });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ status: 'error', code: 'unsupported_by_backend' });
      expect(rec.requests.length).toBe(before);
    });

    it('update: PATCH with the filters and select', async () => {
      rec.reply({ status: 200, body: [{ id: 2, qty: 7 }] });
      const r = await post('/gateway/update', {
        table_name: 'items',
        update_body: { qty: 7 },
        conditions: [{ eq_column: 'id', eq_value: 2 }],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ message: 'Updated 1 row', count: 1, data: [{ id: 2, qty: 7 }] });
      const q = rec.last();
      expect(q.method).toBe('PATCH');
      expect(q.params).toEqual([
        ['id', 'eq.2'],
        ['select', '*'],
      ]);
      expect(q.headers.prefer).toBe('return=representation');
      expect(q.body).toEqual({ qty: 7 });
    });

    it('update without a condition is refused before any request', async () => {
      const before = rec.requests.length;
      const r = await post('/gateway/update', { table_name: 'items', update_body: { qty: 7 }, conditions: [] });
      expect(r.status).toBe(400);
      expect(rec.requests.length).toBe(before);
    });

    it('delete: resource_id and conditions → DELETE with filters and select', async () => {
      rec.reply({ status: 200, body: [{ id: 4 }] });
      const r = await del('/gateway/delete', {
        table_name: 'items',
        resource_id: 4,
        conditions: [{ column: 'qty', operator: 'lt', value: 5 }],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ count: 1, data: [{ id: 4 }], resource_id: '4' });
      const q = rec.last();
      expect(q.method).toBe('DELETE');
      expect(q.path).toBe('/rest/v1/items');
      expect(new Set(q.params.map(([k, v]) => `${k}=${v}`))).toEqual(new Set(['id=eq.4', 'qty=lt.5', 'select=*']));
      expect(q.headers.prefer).toBe('return=representation');
    });

    it('/gateway/query (raw SQL) is 422 unsupported_by_backend on a Supabase client', async () => {
      const r = await post('/gateway/query', { query: 'select 1' });
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('unsupported_by_backend');
    });
  });

  describe('PostgREST errors → Athena envelope', () => {
    it.each([
      [
        'unique violation 23505',
        pgrstError(
          409,
          '23505',
          'duplicate key value violates unique constraint "items_name_key"',
          'Key (name)=(a) already exists.',
        ),
        409,
        'conflict',
      ],
      [
        'foreign key 23503',
        pgrstError(409, '23503', 'insert or update violates foreign key constraint'),
        409,
        'foreign_key_violation',
      ],
      [
        'not null 23502',
        pgrstError(400, '23502', 'null value in column "name" violates not-null constraint'),
        400,
        'not_null_violation',
      ],
      ['bad value 22P02', pgrstError(400, '22P02', 'invalid input syntax for type integer: "x"'), 400, 'invalid_value'],
      ['unknown table 42P01', pgrstError(404, '42P01', 'relation "public.nope" does not exist'), 404, 'unknown_table'],
      [
        'unknown table PGRST205',
        pgrstError(
          404,
          'PGRST205',
          "Could not find the table 'public.nope' in the schema cache",
          null,
          "Perhaps you meant the table 'public.items'",
        ),
        404,
        'unknown_table',
      ],
      ['unknown column 42703', pgrstError(400, '42703', 'column items.nope does not exist'), 400, 'unknown_column'],
      [
        'unknown column PGRST204',
        pgrstError(400, 'PGRST204', "Could not find the 'nope' column of 'items' in the schema cache"),
        400,
        'unknown_column',
      ],
      ['unparsable PGRST100', pgrstError(400, 'PGRST100', '"failed to parse filter"'), 400, 'invalid_query'],
      ['RLS 42501', pgrstError(403, '42501', 'permission denied for table items'), 403, 'backend_permission_denied'],
      ['bad JWT PGRST301', pgrstError(401, 'PGRST301', 'JWSError JWSInvalidSignature'), 502, 'backend_auth_failed'],
      ['bare 401', { status: 401, body: { message: 'Invalid API key' } }, 502, 'backend_auth_failed'],
      [
        'statement timeout 57014',
        pgrstError(500, '57014', 'canceling statement due to statement timeout'),
        504,
        'query_timeout',
      ],
    ])('%s', async (_name, reply, status, code) => {
      rec.replyOnce(reply);
      const r = await post('/gateway/fetch', { table_name: 'items' });
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ status: 'error', code });
      expect(typeof r.body.message).toBe('string');
    });

    it('the unique-violation detail reaches the caller (it is about their data)', async () => {
      rec.replyOnce(
        pgrstError(
          409,
          '23505',
          'duplicate key value violates unique constraint "items_name_key"',
          'Key (name)=(a) already exists.',
        ),
      );
      const r = await put('/gateway/insert', { table_name: 'items', insert_body: { name: 'a' } });
      expect(r.status).toBe(409);
      expect(r.body.error).toContain('Key (name)=(a) already exists.');
    });

    it('network failure → 503 backend_unavailable with Retry-After', async () => {
      const r = await post('/gateway/fetch', { table_name: 'items' }, { 'x-athena-client': 'dead' });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('backend_unavailable');
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('a request that outlives the client timeout → 503 backend_unavailable', async () => {
      flaky.reset().reply({ status: 200, body: [], delayMs: 1500 });
      const started = Date.now();
      const r = await post('/gateway/fetch', { table_name: 'items' }, { 'x-athena-client': 'slow' });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('backend_unavailable');
      expect(Date.now() - started).toBeLessThan(1400);
    });
  });

  describe('circuit breaker per Supabase client', () => {
    it('opens after repeated 5xx (fails fast without calling the project), then recovers after reset', async () => {
      flaky.reset().reply(pgrstError(503, 'PGRST001', 'Database client error. Retrying the connection.'));
      const F = { 'x-athena-client': 'flaky' };
      for (let i = 0; i < 2; i++) {
        const r = await post('/gateway/fetch', { table_name: 'items' }, F);
        expect(r.status).toBe(503);
        expect(r.body.code).toBe('backend_unavailable');
        expect(r.headers.get('retry-after')).toBeTruthy();
      }
      expect(flaky.requests.length).toBe(2);
      const open = await post('/gateway/fetch', { table_name: 'items' }, F);
      expect(open.status).toBe(503);
      expect(open.body.error).toContain('circuit open');
      expect(flaky.requests.length).toBe(2); // failed fast: the project was not called
      expect((await call(`${app.url}/metrics`)).text).toMatch(/athena_supabase_breaker_state\{client="flaky"\} 2/);
      // other Supabase clients are unaffected
      expect((await post('/gateway/fetch', { table_name: 'items' })).status).toBe(200);

      flaky.reply({ status: 200, body: [{ id: 1 }] });
      await new Promise((r) => setTimeout(r, 700));
      const trial = await post('/gateway/fetch', { table_name: 'items' }, F);
      expect(trial.status).toBe(200);
      expect((await post('/gateway/fetch', { table_name: 'items' }, F)).status).toBe(200);
      expect(flaky.requests.length).toBe(4);
    });

    it('client errors (4xx) do not open the breaker', async () => {
      rec.reply(pgrstError(400, '42703', 'column items.nope does not exist'));
      for (let i = 0; i < 5; i++) expect((await post('/gateway/fetch', { table_name: 'items' })).status).toBe(400);
      rec.reply({ status: 200, body: [] });
      expect((await post('/gateway/fetch', { table_name: 'items' })).status).toBe(200);
    });
  });

  it('custom_supabase is off by default: 403 custom_supabase_not_allowed, nothing called', async () => {
    const before = rec.requests.length;
    const r = await post(
      '/gateway/fetch',
      { table_name: 'items' },
      { 'x-athena-client': 'custom_supabase', 'x-supabase-url': rec.url, 'x-supabase-key': CUSTOM_KEY },
    );
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('custom_supabase_not_allowed');
    expect(rec.requests.length).toBe(before);
  });

  it('metrics and the operation log name the supabase client; keys never appear in logs', async () => {
    await post('/gateway/fetch', { table_name: 'items' });
    const m = await call(`${app.url}/metrics`);
    expect(m.text).toMatch(/athena_gateway_operations_total\{[^}]*client="sb"/);
    expect(app.logs.text()).not.toContain(KEY);
  });
});

describe('SupabaseDriver.describe and ping (PostgREST OpenAPI root)', () => {
  let rec: PostgrestRecorder;
  beforeAll(async () => {
    rec = await PostgrestRecorder.start();
  });
  afterAll(() => rec.close());

  const driver = () =>
    new SupabaseDriver({
      clientName: 't',
      url: rec.url,
      key: KEY,
      timeoutMs: 1000,
      schema: 'public',
      breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, rollingWindowMs: 10000, resetMs: 1000 },
    });

  it('reads columns, nullability and the primary key from definitions', async () => {
    rec.reply({
      status: 200,
      body: {
        swagger: '2.0',
        definitions: {
          items: {
            required: ['id', 'name'],
            properties: {
              id: { format: 'bigint', type: 'integer', description: 'Note:\nThis is a Primary Key.<pk/>' },
              name: { format: 'text', type: 'string' },
              tags: { format: 'text[]', type: 'array' },
            },
          },
        },
      },
    });
    const d = driver();
    const t = await d.describe({ schema: null, name: 'items' });
    expect(t.primaryKey).toEqual(['id']);
    expect([...t.columns.values()]).toEqual([
      { name: 'id', type: 'bigint', nullable: false, isArray: false },
      { name: 'name', type: 'text', nullable: false, isArray: false },
      { name: 'tags', type: 'text[]', nullable: true, isArray: true },
    ]);
    expect(rec.last()).toMatchObject({
      method: 'GET',
      path: '/rest/v1/',
      headers: expect.objectContaining({ apikey: KEY, 'accept-profile': 'public' }),
    });
    await expect(d.describe({ schema: null, name: 'nope' })).rejects.toMatchObject({
      status: 404,
      code: 'unknown_table',
    });
    await d.close();
  });

  it('ping fails on an auth error and on 5xx', async () => {
    const d = driver();
    rec.replyOnce({ status: 401, body: { message: 'Invalid API key' } });
    await expect(d.ping(500)).rejects.toMatchObject({ status: 502, code: 'backend_auth_failed' });
    rec.replyOnce({
      status: 503,
      body: { code: 'PGRST002', message: 'Could not query the database for the schema cache. Retrying.' },
    });
    await expect(d.ping(500)).rejects.toMatchObject({ status: 503, code: 'backend_unavailable' });
    rec.reply({ status: 200, body: { swagger: '2.0' } });
    await expect(d.ping(500)).resolves.toBeUndefined();
    await d.close();
  });
});

describeWith('postgres')('custom_supabase (x-supabase-url / x-supabase-key)', () => {
  let control: TestDatabase;
  let rec: PostgrestRecorder;
  let strict: TestApp;
  let open: TestApp;
  const headers = (url: string, key = CUSTOM_KEY) => ({
    'x-athena-client': 'custom_supabase',
    'x-supabase-url': url,
    'x-supabase-key': key,
  });

  beforeAll(async () => {
    control = await createTestDatabase('sb_custom');
    rec = await PostgrestRecorder.start();
    strict = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        custom_supabase: { enabled: true, allowed_hosts: ['localhost', '127.0.0.1', '*.allowed.test'] },
      },
    });
    open = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        run_migrations: false,
        custom_supabase: {
          enabled: true,
          allowed_hosts: ['127.0.0.1'],
          allow_http: true,
          allow_private_addresses: true,
        },
      },
    });
  });

  afterAll(async () => {
    await strict?.close();
    await open?.close();
    await rec?.close();
    await control?.drop();
  });

  const fetchOn = (app: TestApp, h: Record<string, string>) =>
    call(`${app.url}/gateway/fetch`, { method: 'POST', headers: h, json: { table_name: 'items' } });

  it.each([
    ['http:// when only https is allowed', 'http://127.0.0.1:9', 'https://'],
    ['a host not in allowed_hosts', 'https://evil.example.com', 'not in gateway.custom_supabase.allowed_hosts'],
    ['a suffix look-alike', 'https://allowed.test.evil.com', 'not in gateway.custom_supabase.allowed_hosts'],
    ['an allowed name resolving to loopback', 'https://localhost', 'private, loopback or link-local'],
    ['an allowed loopback literal', 'https://127.0.0.1:8443', 'private, loopback or link-local'],
  ])('refuses %s with 403', async (_n, url, hint) => {
    const r = await fetchOn(strict, headers(url));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('custom_supabase_not_allowed');
    expect(r.body.error).toContain(hint);
  });

  it('missing headers → 400 missing_supabase_headers; a URL with credentials → 400', async () => {
    let r = await fetchOn(strict, { 'x-athena-client': 'custom_supabase', 'x-supabase-url': 'https://a.allowed.test' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('missing_supabase_headers');
    r = await fetchOn(strict, headers('https://u:p@a.allowed.test'));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_supabase_url');
  });

  it("when allowed, routes to the caller's project with the caller's key (never logged)", async () => {
    rec.reset([{ id: 7 }]);
    const r = await fetchOn(open, headers(`${rec.url}/some/path`));
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([{ id: 7 }]);
    expect(rec.last()).toMatchObject({
      method: 'GET',
      path: '/rest/v1/items',
      headers: expect.objectContaining({ apikey: CUSTOM_KEY, authorization: `Bearer ${CUSTOM_KEY}` }),
    });
    // Never cached: the adapter's per-process id could not be invalidated by other instances.
    expect(r.headers.get('x-athena-cache')).toBe('bypass');
    const again = await fetchOn(open, headers(`${rec.url}/some/path`));
    expect(again.headers.get('x-athena-cache')).toBe('bypass');
    expect(rec.requests.filter((q) => q.method === 'GET' && q.path === '/rest/v1/items')).toHaveLength(2);
    const u = await call(`${open.url}/gateway/update`, {
      method: 'POST',
      headers: headers(rec.url),
      json: { table_name: 'items', update_body: { a: 1 }, conditions: [{ eq_column: 'id', eq_value: 7 }] },
    });
    expect(u.status).toBe(200);
    expect(rec.last().method).toBe('PATCH');
    await new Promise((res) => setTimeout(res, 100));
    expect(open.logs.text()).not.toContain(CUSTOM_KEY);
    expect(open.logs.text()).toContain('custom_supabase');
  });

  it('two custom projects never share a coalesced fetch', async () => {
    const rec2 = await PostgrestRecorder.start();
    try {
      rec.reset().reply({ status: 200, body: [{ from: 'one' }], delayMs: 150 });
      rec2.reply({ status: 200, body: [{ from: 'two' }], delayMs: 150 });
      const [a, b] = await Promise.all([fetchOn(open, headers(rec.url)), fetchOn(open, headers(rec2.url))]);
      expect(a.body.data).toEqual([{ from: 'one' }]);
      expect(b.body.data).toEqual([{ from: 'two' }]);
      const [c, d] = await Promise.all([
        fetchOn(open, headers(rec.url, 'key-a')),
        fetchOn(open, headers(rec.url, 'key-b')),
      ]);
      expect([c.status, d.status]).toEqual([200, 200]);
      expect(
        rec.requests
          .slice(-2)
          .map((r) => r.headers.apikey)
          .sort(),
      ).toEqual(['key-a', 'key-b']);
    } finally {
      await rec2.close();
    }
  });

  it('never follows a redirect: a 302 to another host → 502 backend_redirect_refused, the other host sees nothing', async () => {
    const rec2 = await PostgrestRecorder.start();
    try {
      const elsewhere = `http://localhost:${new URL(rec2.url).port}/rest/v1/items`;
      rec.reset().reply({ status: 302, headers: { location: elsewhere } });
      const r = await fetchOn(open, headers(rec.url, 'redirect-key-1'));
      expect(r.status).toBe(502);
      expect(r.body).toMatchObject({ status: 'error', code: 'backend_redirect_refused' });
      expect(r.body.error).toContain('never follows redirects');
      expect(rec.requests.length).toBe(1);
      // the describe/ping path (/rest/v1/ OpenAPI, a direct fetch) refuses redirects too
      rec.reply({ status: 307, headers: { location: elsewhere } });
      const { publicOnlyFetch } = await import('@athena/drivers');
      const d = new SupabaseDriver({
        clientName: 'custom_supabase',
        url: rec.url,
        key: 'redirect-key-2',
        timeoutMs: 1000,
        schema: 'public',
        breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, rollingWindowMs: 10000, resetMs: 1000 },
        fetch: publicOnlyFetch({ allowPrivate: true }),
      });
      await expect(d.ping()).rejects.toMatchObject({ status: 502, code: 'backend_redirect_refused' });
      await d.close();
      expect(rec.requests.length).toBe(2);
      expect(rec2.requests).toEqual([]);
      expect(JSON.stringify(r.body)).not.toContain('redirect-key');
    } finally {
      rec.reset();
      await rec2.close();
    }
  });

  it('an evicted adapter is not closed under requests that resolved it: it closes after its grace and last call', async () => {
    const tiny = await bootApp({
      gateway: {
        logging_pg_uri: control.uri,
        run_migrations: false,
        custom_supabase: {
          enabled: true,
          allowed_hosts: ['127.0.0.1'],
          allow_http: true,
          allow_private_addresses: true,
          max_clients: 1,
          timeout_ms: 600,
        },
      },
    });
    try {
      const { CustomSupabaseService } = await import('@athena/drivers');
      const svc = tiny.server.app.get(CustomSupabaseService);
      const q = {
        kind: 'fetch' as const,
        table: { schema: null, name: 'items' },
        columns: null,
        conditions: [],
        sort: null,
        limit: 10,
        offset: 0,
        probeTruncation: false,
        stripNulls: false,
        postProcessing: null,
      };
      rec.reset([{ id: 1 }]);
      const a = await svc.resolve(rec.url, 'evict-key-a');
      await svc.resolve(rec.url, 'evict-key-b'); // max_clients 1: evicts a
      // a request that resolved `a` before the eviction still runs on it
      expect((await a.fetch(q as never)).rows).toEqual([{ id: 1 }]);
      // a call in flight when the grace ends is not cut short; the adapter closes after it
      // (grace = timeout_ms, 600 ms from the eviction; this call starts at ~300 ms and answers 450 ms later, so it
      // spans the grace's end)
      await new Promise((r) => setTimeout(r, 300));
      rec.reply({ status: 200, body: [{ id: 2 }], delayMs: 450 });
      expect((await a.fetch(q as never)).rows).toEqual([{ id: 2 }]);
      await new Promise((r) => setTimeout(r, 50));
      await expect(a.fetch(q as never)).rejects.toMatchObject({ status: 503, code: 'backend_unavailable' });
    } finally {
      await tiny.close();
    }
  });

  it('the connect-time guard refuses an IP literal (net.connect skips lookup for those) and sends nothing', async () => {
    const { publicOnlyFetch } = await import('@athena/drivers');
    rec.reset();
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]']) {
      await expect(
        publicOnlyFetch()(`http://${host}:${new URL(rec.url).port}/rest/v1/`, { headers: { apikey: 'k' } }),
      ).rejects.toMatchObject({ cause: expect.objectContaining({ code: 'EATHENABLOCKED' }) });
    }
    expect(rec.requests).toEqual([]);
    // with allow_private_addresses the same literal is reachable
    const ok = await publicOnlyFetch({ allowPrivate: true })(`${rec.url}/rest/v1/items`);
    expect(ok.status).toBe(200);
  });

  it('the connect-time guard refuses a loopback address even if the pre-check were bypassed', async () => {
    const { publicOnlyFetch } = await import('@athena/drivers');
    await expect(publicOnlyFetch()(`http://localhost:${new URL(rec.url).port}/rest/v1/`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: 'EATHENABLOCKED' }),
    });
  });
});
