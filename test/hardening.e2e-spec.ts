import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { gzipSync } from 'node:zlib';
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

/** Every refusal is the Athena envelope with a stable code and the request id header. */
function expectEnvelope(r: { status: number; headers: Headers; body: any }, status: number, code?: string): void {
  expect({ status: r.status, code: r.body?.code }).toEqual({
    status,
    code: code ?? expect.stringMatching(/^[a-z_]+$/),
  });
  expect(r.body).toMatchObject({ status: 'error', message: expect.any(String), error: expect.any(String) });
  expect(r.headers.get('x-request-id')).toBeTruthy();
}

/** Sends raw bytes over one socket (requests fetch() refuses to send) and parses the answer. */
function rawHttp(base: string, head: string | Buffer): Promise<{ status: number; headers: Headers; body: any }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [top, ...rest] = text.split('\r\n\r\n');
      const lines = top.split('\r\n');
      const headers = new Headers();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
      }
      let body: unknown = rest.join('\r\n\r\n');
      try {
        body = JSON.parse(body as string);
      } catch {
        /* not JSON */
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body });
    });
    sock.write(head);
  });
}

describeWith('postgres')('hardening (issue 16): real app, real PostgreSQL', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let cp: Client;
  const saved = process.env.ATHENA_KEY_12;
  const H = { 'x-athena-client': 'main' };
  const A = { 'x-athena-admin-key': ADMIN_KEY };
  const admin = (method: string, path: string, json?: unknown) =>
    call(`${app.url}${path}`, { method, headers: A, json });
  const post = (path: string, json: unknown, headers: Record<string, string> = { ...H, ...A }) =>
    call(`${app.url}${path}`, { method: 'POST', headers, json });

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
    expect((await admin('POST', '/admin/api-key-rights', { name: 'items.read' })).status).toBe(201);
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
          () =>
            cp.query(`SELECT query_string FROM gateway_request_log WHERE path = '/data' AND query_string LIKE '%pi%'`),
          (res) => res.rows.length >= 2,
        );
        expect(stored.rows.map((x) => x.query_string).sort()).toEqual([
          'view=items&%61pi_key=[REDACTED]',
          'view=items&api%5Fkey=[REDACTED]&x=1',
        ]);
        const auth = await cp.query(
          `SELECT count(*)::int AS n FROM api_key_auth_log WHERE key_source = 'query:api_key'`,
        );
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

  describe('(2) caller input that used to answer 500', () => {
    const deep = (n: number, leaf: unknown = 1): string => `${'['.repeat(n)}${JSON.stringify(leaf)}${']'.repeat(n)}`;
    const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
      call(`${app.url}${path}`, {
        method,
        headers: { ...H, ...A, 'content-type': 'application/json', ...headers },
        body,
      });

    it.each([
      ['insert value', 'PUT', '/gateway/insert', { table_name: 'items', insert_body: { name: 'a\u0000b' } }],
      [
        'condition value',
        'POST',
        '/gateway/fetch',
        { table_name: 'items', conditions: [{ column: 'name', operator: 'eq', value: 'a\u0000b' }] },
      ],
      [
        'legacy condition value',
        'POST',
        '/gateway/fetch',
        { table_name: 'items', conditions: [{ eq_column: 'name', eq_value: '\u0000' }] },
      ],
      [
        'update body',
        'POST',
        '/gateway/update',
        { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 1 }], update_body: { name: 'x\u0000' } },
      ],
      ['raw SQL', 'POST', '/gateway/query', { query: "SELECT 'a\u0000b' AS v" }],
      ['/query/sql', 'POST', '/query/sql', { query: "SELECT 'a\u0000b' AS v", driver: 'postgresql', db_name: 'main' }],
      ['admin body', 'POST', '/admin/api-keys', { name: 'a\u0000b' }],
      ['object key', 'PUT', '/gateway/insert', { table_name: 'items', insert_body: { 'na\u0000me': 'x' } }],
    ])('NUL in %s → 400 nul_character', async (_what, method, path, json) => {
      const r = await call(`${app.url}${path}`, { method, headers: { ...H, ...A }, json });
      expectEnvelope(r, 400, 'nul_character');
    });

    it('NUL in a query or path parameter → 400 nul_character; an escaped backslash before u0000 is not a NUL', async () => {
      expectEnvelope(
        await call(`${app.url}/data?view=items&eq_column=name&eq_value=a%00b`, { headers: H }),
        400,
        'nul_character',
      );
      expectEnvelope(
        await call(`${app.url}/admin/api-keys/abc%00def`, { method: 'PATCH', headers: A, json: { is_active: true } }),
        400,
        'nul_character',
      );
      const r = await post('/gateway/fetch', {
        table_name: 'items',
        conditions: [{ column: 'name', operator: 'eq', value: '\\u0000' }],
      });
      expect([r.status, r.body.data]).toEqual([200, []]);
    });

    it.each(['like', 'ilike'])(
      '%s pattern ending in a backslash → 400 invalid_like_pattern; an escaped one works',
      async (operator) => {
        const bad = await post('/gateway/fetch', {
          table_name: 'items',
          conditions: [{ column: 'name', operator, value: '%\\' }],
        });
        expectEnvelope(bad, 400, 'invalid_like_pattern');
        const ok = await post('/gateway/fetch', {
          table_name: 'items',
          conditions: [{ column: 'name', operator, value: '%\\\\' }],
        });
        expect([ok.status, ok.body.data]).toEqual([200, []]);
      },
    );

    it('arrays nested deeper than 6 dimensions → 400 limit_exceeded (value, condition, raw SQL)', async () => {
      const seven = JSON.parse(deep(7, 'x'));
      expectEnvelope(
        await call(`${app.url}/gateway/insert`, {
          method: 'PUT',
          headers: { ...H, ...A },
          json: { table_name: 'items', insert_body: { name: 'deep', tags: seven } },
        }),
        400,
        'limit_exceeded',
      );
      expectEnvelope(
        await post('/gateway/fetch', {
          table_name: 'items',
          conditions: [{ column: 'tags', operator: 'contains', value: seven }],
        }),
        400,
        'limit_exceeded',
      );
      expectEnvelope(
        await post('/gateway/query', { query: "SELECT '{{{{{{{1}}}}}}}'::int[] AS v" }),
        400,
        'limit_exceeded',
      );
    });

    it.each([
      [
        'condition value, 5,000 levels',
        'POST',
        '/gateway/fetch',
        `{"table_name":"items","conditions":[{"column":"meta","operator":"contains","value":${deep(5000)}}]}`,
      ],
      [
        'insert body, 50,000 levels',
        'PUT',
        '/gateway/insert',
        `{"table_name":"items","insert_body":{"name":"d","meta":${deep(50_000)}}}`,
      ],
      ['admin body, 50,000 levels', 'POST', '/admin/api-keys', `{"name":"deep","rights":${deep(50_000, 'x')}}`],
      [
        'objects, 65 levels',
        'POST',
        '/gateway/fetch',
        `{"table_name":"items","x":${'{"a":'.repeat(64)}1${'}'.repeat(64)}}`,
      ],
    ])(
      'JSON nested too deeply (%s) → 400 json_too_deep before any recursive code runs',
      async (_what, method, path, body) => {
        expectEnvelope(await raw(method, path, body), 400, 'json_too_deep');
        expect((await call(`${app.url}/ping`)).status).toBe(200);
      },
    );

    it('64 levels still pass the edge; brackets inside strings do not count', async () => {
      const r = await raw(
        'POST',
        '/gateway/fetch',
        `{"table_name":"items","conditions":[{"column":"meta","operator":"contains","value":${'{"a":'.repeat(60)}1${'}'.repeat(60)}}],"note":"${'['.repeat(200)}"}`,
      );
      expect([r.status, r.body.data]).toEqual([200, []]);
    });
  });

  describe('(7) wrong refusals', () => {
    it('{"table_name":"","view_name":"items"} is authorized on items (a key with items.read gets 200)', async () => {
      const created = await admin('POST', '/admin/api-keys', { name: 'h8-view', rights: ['items.read'] });
      expect(created.status).toBe(201);
      expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: true })).status).toBe(200);
      try {
        const r = await call(`${app.url}/gateway/fetch`, {
          method: 'POST',
          headers: { ...H, authorization: `Bearer ${created.body.data.api_key}` },
          json: { table_name: '', view_name: 'items' },
        });
        expect([r.status, r.body.count]).toEqual([200, 2]);
      } finally {
        expect((await admin('PUT', '/admin/api-key-config', { enforce_api_keys: false })).status).toBe(200);
      }
    });

    it.each([64, 100, 101, 128, 300])(
      'PUT /admin/api-key-clients/{name} with a %i-character name → 400 in the envelope, never 414',
      async (n) => {
        const r = await admin('PUT', `/admin/api-key-clients/${'c'.repeat(n)}`, { enforce_api_keys: true });
        expectEnvelope(r, 400);
      },
    );
  });

  describe('(8) answers outside the envelope', () => {
    it('a control character in a header → 400 malformed_request in the envelope with X-Request-Id', async () => {
      const r = await rawHttp(app.url, 'GET /ping HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n');
      expectEnvelope(r, 400, 'malformed_request');
    });

    it.each([
      ['an oversized header', `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['an oversized URL', `GET /data?view=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ])('%s → 431 headers_too_large in the envelope', async (_what, head) => {
      expectEnvelope(await rawHttp(app.url, head), 431, 'headers_too_large');
    });

    it('a path parameter over the router limit → 400 path_parameter_too_long', async () => {
      expectEnvelope(
        await admin('PATCH', `/admin/api-keys/${'a'.repeat(150)}`, { is_active: true }),
        400,
        'path_parameter_too_long',
      );
    });

    it('invalid UTF-8 → 400 invalid_utf8; a gzip body → 415 unsupported_content_encoding', async () => {
      const bad = Buffer.concat([Buffer.from('{"table_name":"it'), Buffer.from([0xff, 0xfe]), Buffer.from('ems"}')]);
      const r = await call(`${app.url}/gateway/fetch`, {
        method: 'POST',
        headers: { ...H, 'content-type': 'application/json' },
        body: bad,
      });
      expectEnvelope(r, 400, 'invalid_utf8');
      const gz = gzipSync(JSON.stringify({ table_name: 'items' }));
      const z = await call(`${app.url}/gateway/fetch`, {
        method: 'POST',
        headers: { ...H, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gz,
      });
      expectEnvelope(z, 415, 'unsupported_content_encoding');
    });

    it('TRACE → 405 method_not_allowed with Allow', async () => {
      const r = await rawHttp(app.url, 'TRACE /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expectEnvelope(r, 405, 'method_not_allowed');
      expect(r.headers.get('allow')).toContain('GET');
    });

    it('DELETE with Content-Type: application/json and an empty body is a DELETE without a body', async () => {
      const created = await admin('POST', '/admin/api-keys', { name: 'h8-delete-me' });
      expect(created.status).toBe(201);
      const r = await call(`${app.url}/admin/api-keys/${created.body.data.record.id}`, {
        method: 'DELETE',
        headers: { ...A, 'content-type': 'application/json' },
        body: '',
      });
      expect(r.status).toBe(200);
      const g = await call(`${app.url}/gateway/delete`, {
        method: 'DELETE',
        headers: { ...H, 'content-type': 'application/json' },
      });
      expect(g.status).toBe(400);
      expect(g.body.code).not.toBe('invalid_json');
    });
  });

  describe('(9) silent acceptance', () => {
    it.each([
      ['sort_by a string', { sort_by: 'name' }],
      ['sort_by an array', { sort_by: ['name'] }],
      ['sort_by.field a number', { sort_by: { field: 7 } }],
      ['sort_by.direction garbage', { sort_by: { field: 'id', direction: 'sideways' } }],
      ['sortBy.direction a number', { sortBy: { field: 'id', direction: 1 } }],
    ])('%s → 400 invalid_sort', async (_what, extra) => {
      expectEnvelope(await post('/gateway/fetch', { table_name: 'items', ...extra }), 400, 'invalid_sort');
    });

    it.each(['limit=abc', 'offset=1.5', 'page_size=99999999999', 'current_page=two', 'limit='])(
      'GET /data?%s → 400 invalid_limit',
      async (q) => {
        expectEnvelope(await call(`${app.url}/data?view=items&${q}`, { headers: H }), 400, 'invalid_limit');
      },
    );

    it('PATCH /admin/api-keys/{id} with null, {} or only unknown fields → 400 empty_update, like the rights PATCH; the key is untouched', async () => {
      const created = await admin('POST', '/admin/api-keys', { name: 'h8-patch' });
      const id = created.body.data.record.id;
      for (const body of ['null', '{}', '{"unknown":1}']) {
        const r = await call(`${app.url}/admin/api-keys/${id}`, {
          method: 'PATCH',
          headers: { ...A, 'content-type': 'application/json' },
          body,
        });
        expectEnvelope(r, 400, 'empty_update');
      }
      const right = await admin('POST', '/admin/api-key-rights', { name: 'h8.patch' });
      for (const body of ['null', '{}']) {
        const r = await call(`${app.url}/admin/api-key-rights/${right.body.data.right.id}`, {
          method: 'PATCH',
          headers: { ...A, 'content-type': 'application/json' },
          body,
        });
        expectEnvelope(r, 400, 'empty_update');
      }
      const ok = await admin('PATCH', `/admin/api-keys/${id}`, { description: 'changed' });
      expect([ok.status, ok.body.data.record.description]).toEqual([200, 'changed']);
    });
  });

  describe('bad-input corpus: every case answers 4xx in the envelope with a stable code, and /ping still answers', () => {
    type Case = [string, () => Promise<{ status: number; headers: Headers; body: any }>, number, string];
    const long = 'a'.repeat(10_000);
    const deepText = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    const fetchBody = (extra: Record<string, unknown>) => post('/gateway/fetch', { table_name: 'items', ...extra });
    const insert = (row: Record<string, unknown>) =>
      call(`${app.url}/gateway/insert`, {
        method: 'PUT',
        headers: { ...H, ...A },
        json: { table_name: 'items', insert_body: row },
      });
    const json = (method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      call(`${app.url}${path}`, {
        method,
        headers: { ...H, ...A, 'content-type': 'application/json', ...headers },
        body,
      });
    const CASES: Case[] = [
      ['NUL in a value', () => insert({ name: 'x\u0000y' }), 400, 'nul_character'],
      ['NUL in raw SQL', () => post('/gateway/query', { query: 'SELECT 1\u0000' }), 400, 'nul_character'],
      ['NUL in an admin body', () => admin('POST', '/admin/api-keys', { name: '\u0000' }), 400, 'nul_character'],
      ['NUL in a query parameter', () => call(`${app.url}/data?view=items%00`, { headers: H }), 400, 'nul_character'],
      ['control character in a table name', () => fetchBody({ table_name: 'ite\u0001ms' }), 400, 'invalid_identifier'],
      ['control character in a column name', () => fetchBody({ columns: ['id\u0007'] }), 400, 'invalid_identifier'],
      [
        'control character in a header',
        () => rawHttp(app.url, 'GET /ping HTTP/1.1\r\nHost: x\r\nX-Athena-Client: a\u0002\r\n\r\n'),
        400,
        'malformed_request',
      ],
      [
        'invalid UTF-8 body',
        () => json('POST', '/gateway/fetch', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])),
        400,
        'invalid_utf8',
      ],
      ['malformed JSON', () => json('POST', '/gateway/fetch', '{"table_name":'), 400, 'invalid_json'],
      [
        'gzip body',
        () => json('POST', '/gateway/fetch', gzipSync('{}'), { 'content-encoding': 'gzip' }),
        415,
        'unsupported_content_encoding',
      ],
      ['huge limit', () => fetchBody({ limit: 1e308 }), 400, 'invalid_limit'],
      ['negative offset', () => fetchBody({ offset: -1 }), 400, 'invalid_limit'],
      [
        'integer out of the column range',
        () =>
          json(
            'PUT',
            '/gateway/insert',
            '{"table_name":"items","insert_body":{"name":"big","qty":99999999999999999999}}',
          ),
        400,
        'invalid_value',
      ],
      [
        'number beyond double (Infinity)',
        () => json('PUT', '/gateway/insert', '{"table_name":"items","insert_body":{"name":"inf","qty":1e400}}'),
        400,
        'invalid_value',
      ],
      ['10k-character table name', () => fetchBody({ table_name: long }), 400, 'invalid_identifier'],
      [
        '10k-character column name',
        () => fetchBody({ conditions: [{ column: long, operator: 'eq', value: 1 }] }),
        400,
        'invalid_identifier',
      ],
      ['10k-character sort field', () => fetchBody({ sort_by: { field: long } }), 400, 'invalid_identifier'],
      [
        '10k-character X-Athena-Client',
        () =>
          call(`${app.url}/gateway/fetch`, {
            method: 'POST',
            headers: { 'x-athena-client': long },
            json: { table_name: 'items' },
          }),
        400,
        'invalid_client',
      ],
      [
        '10k-character path parameter',
        () => admin('PATCH', `/admin/api-keys/${long}`, { is_active: true }),
        400,
        'path_parameter_too_long',
      ],
      [
        '10k-character GET /data view',
        () => call(`${app.url}/data?view=${long}`, { headers: H }),
        400,
        'invalid_identifier',
      ],
      [
        'oversized "in" array',
        () =>
          fetchBody({
            conditions: [{ column: 'id', operator: 'in', value: Array.from({ length: 1001 }, (_, i) => i) }],
          }),
        400,
        'invalid_condition_value',
      ],
      [
        'LIKE pattern ending in a backslash (whatever the data)',
        () => fetchBody({ conditions: [{ column: 'name', operator: 'like', value: 'a\\' }] }),
        400,
        'invalid_like_pattern',
      ],
      [
        'ILIKE pattern ending in a backslash, no row to match',
        () => fetchBody({ conditions: [{ column: 'name', operator: 'ilike', value: 'zzz\\' }] }),
        400,
        'invalid_like_pattern',
      ],
      [
        'raw SQL LIKE ending in a backslash',
        () => post('/gateway/query', { query: "SELECT 'ab' LIKE 'a\\' AS m" }),
        400,
        'invalid_like_pattern',
      ],
      ['array of 7 dimensions', () => insert({ name: 'd7', tags: JSON.parse(deepText(7)) }), 400, 'limit_exceeded'],
      [
        'JSON 5,000 levels deep',
        () => json('POST', '/gateway/fetch', `{"table_name":"items","x":${deepText(5000)}}`),
        400,
        'json_too_deep',
      ],
      [
        'JSON 50,000 levels deep (admin)',
        () => json('POST', '/admin/api-key-rights', `{"name":${deepText(50_000)}}`),
        400,
        'json_too_deep',
      ],
      ['sort direction garbage', () => fetchBody({ sort_by: { field: 'id', direction: 'up' } }), 400, 'invalid_sort'],
      [
        'non-integer GET /data paging',
        () => call(`${app.url}/data?view=items&offset=NaN`, { headers: H }),
        400,
        'invalid_limit',
      ],
      [
        'empty PATCH of an API key',
        () => admin('PATCH', '/admin/api-keys/00000000-0000-4000-8000-000000000000', {}),
        400,
        'empty_update',
      ],
      [
        'TRACE',
        () => rawHttp(app.url, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        405,
        'method_not_allowed',
      ],
      [
        'oversized request head',
        () => rawHttp(app.url, `GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`),
        431,
        'headers_too_large',
      ],
    ];

    it.each(CASES)('%s', async (_what, send, status, code) => {
      expectEnvelope(await send(), status, code);
      const ping = await call(`${app.url}/ping`);
      expect([ping.status, ping.text]).toEqual([200, 'pong']);
    });

    it('none of them reached the exception filter as an unexpected error', () => {
      expect(app.logs.json().filter((l) => l.msg === 'unexpected error')).toEqual([]);
    });
  });
});

describeWith('postgres')('hardening (issue 16): backends that refuse connections, and a saturated pool', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let locked: TestDatabase;
  let su: Client;
  const role = `h8_lim_${randomBytes(4).toString('hex')}`;
  const fetchOn = (client: string) =>
    call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': client, 'cache-control': 'no-store' },
      json: { table_name: 'items' },
    });
  const withUser = (uri: string, user: string, password: string) => {
    const u = new URL(uri);
    u.username = user;
    u.password = password;
    return u.toString();
  };

  beforeAll(async () => {
    control = await createTestDatabase('h8b_control');
    data = await createTestDatabase('h8b_data');
    locked = await createTestDatabase('h8b_locked');
    su = new Client({ connectionString: data.uri });
    await su.connect();
    await su.query(SCHEMA);
    await su.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' CONNECTION LIMIT 0`);
    await su.query(`ALTER DATABASE "${locked.name}" ALLOW_CONNECTIONS false`);
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, pool: { max: 2, connection_timeout_ms: 400 } },
      postgres_clients: {
        main: data.uri,
        locked: locked.uri, // 55000: database does not allow connections
        limited: withUser(data.uri, role, 'pw'), // 53300: too many connections for role
        badpw: withUser(data.uri, 'postgres', `wrong-${randomBytes(4).toString('hex')}`), // 28P01
      },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await su?.query(`ALTER DATABASE "${locked.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await su?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await su?.end();
    await locked?.drop();
    await data?.drop();
    await control?.drop();
  });

  it.each(['locked', 'limited', 'badpw'])(
    '(3) %s: every call 503 backend_unavailable + Retry-After, fail-fast, one log line for the outage',
    async (client) => {
      const answers = await Promise.all(Array.from({ length: 12 }, () => fetchOn(client)));
      for (const r of answers) {
        expectEnvelope(r, 503, 'backend_unavailable');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const more = await Promise.all(Array.from({ length: 12 }, () => fetchOn(client)));
      for (const r of more) expectEnvelope(r, 503, 'backend_unavailable');
      const lines = app.logs
        .json()
        .filter((l) => l.component === 'pg' && l.client === client && /backend unavailable/.test(String(l.msg)));
      expect(lines).toHaveLength(1);
      expect(app.logs.json().filter((l) => l.msg === 'unexpected error')).toEqual([]);
    },
  );

  it('(4) a saturated pool answers 503 pool_exhausted with a short Retry-After and never opens the breaker', async () => {
    expect((await fetchOn('main')).status).toBe(200); // schema cached: a fetch needs one connection
    const sleeper = () =>
      call(`${app.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main' },
        json: { query: 'SELECT pg_sleep(60)' },
      });
    const sleeping = [sleeper(), sleeper()];
    const busy = `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'athena:main' AND query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'`;
    const both = await until(
      () => su.query(busy, [data.name]),
      (r) => r.rows.length === 2,
      20_000,
    );
    expect(both.rows).toHaveLength(2);
    const r = await fetchOn('main');
    expectEnvelope(r, 503, 'pool_exhausted');
    expect(r.headers.get('retry-after')).toBe('1');
    await su.query(
      `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'athena:main' AND query LIKE 'SELECT pg_sleep(60)%'`,
      [data.name],
    );
    await Promise.all(sleeping);
    // Had the wait opened the breaker, this would be 503 for the next 3 s.
    const after = await fetchOn('main');
    expect(after.status).toBe(200);
    expect(
      app.logs
        .json()
        .filter((l) => l.component === 'pg' && l.client === 'main' && /backend unavailable/.test(String(l.msg))),
    ).toEqual([]);
  });
});
