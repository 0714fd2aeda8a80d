/**
 * Every gateway call is logged (issue 15: the log write path got cheaper, it must stay complete): one
 * gateway_request_log row and one gateway_operation_log row per call — cache misses, cache hits (memory tier),
 * no-store reads, writes and refused calls alike — under concurrency. The writer is flushed explicitly instead
 * of waiting for its timer, so the test does not depend on the machine's speed.
 */
import { Client } from 'pg';
import { GatewayLogWriter } from '@athena/observability';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';

describeWith('postgres')('request and operation logs are complete (real app, real PostgreSQL)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let cp: Client;

  beforeAll(async () => {
    control = await createTestDatabase('logfull_control');
    data = await createTestDatabase('logfull_data');
    const pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    await pg.end();
    app = await bootApp({ gateway: { logging_pg_uri: control.uri }, postgres_clients: { main: data.uri } });
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  });

  afterAll(async () => {
    await cp?.end();
    await app?.close();
    await data?.drop();
    await control?.drop();
  });

  it('writes one request row and one operation row per call, cache hits included', async () => {
    const run = `full-${Date.now()}`;
    const calls: Array<{ id: string; path: string; body: unknown; headers?: Record<string, string> }> = [];
    const fetchOne = { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 1 }] };
    for (let i = 0; i < 40; i++) calls.push({ id: `${run}-hit-${i}`, path: '/gateway/fetch', body: fetchOne });
    for (let i = 0; i < 20; i++)
      calls.push({
        id: `${run}-nostore-${i}`,
        path: '/gateway/fetch',
        body: fetchOne,
        headers: { 'cache-control': 'no-store' },
      });
    for (let i = 0; i < 10; i++)
      calls.push({ id: `${run}-refused-${i}`, path: '/gateway/fetch', body: { table_name: 'missing_table' } });
    for (let i = 0; i < 10; i++)
      calls.push({
        id: `${run}-write-${i}`,
        path: '/gateway/update',
        body: { table_name: 'items', update_body: { name: `n${i}` }, conditions: [{ eq_column: 'id', eq_value: 2 }] },
      });
    // One miss first, so the 40 identical fetches that follow are answered from the cache.
    const first = await call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', 'x-request-id': `${run}-miss` },
      json: fetchOne,
    });
    expect(first.headers.get('x-athena-cache')).toBe('miss');
    const send = (c: (typeof calls)[number]) =>
      call(`${app.url}${c.path}`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main', 'x-request-id': c.id, ...c.headers },
        json: c.body,
      });
    // Reads (hits, no-store, refused) concurrently, then the writes (which invalidate the cached read).
    const reads = await Promise.all(calls.filter((c) => c.path !== '/gateway/update').map(send));
    const writes = await Promise.all(calls.filter((c) => c.path === '/gateway/update').map(send));
    const answers = [...reads, ...writes];
    expect(writes.map((w) => w.status)).toEqual(writes.map(() => 200));
    const hits = answers.filter((a, i) => calls[i].id.includes('-hit-') && a.headers.get('x-athena-cache') === 'hit');
    expect(hits.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    await app.server.app.get(GatewayLogWriter).flush();

    const ids = [`${run}-miss`, ...calls.map((c) => c.id)];
    const req = await cp.query<{ request_id: string; n: number; cached: boolean }>(
      'SELECT request_id, count(*)::int AS n, bool_or(cached) AS cached FROM gateway_request_log WHERE request_id = ANY($1) GROUP BY request_id',
      [ids],
    );
    const op = await cp.query<{ request_id: string; n: number; cached: boolean; row_count: number | null }>(
      'SELECT request_id, count(*)::int AS n, bool_or(cached) AS cached, max(row_count) AS row_count FROM gateway_operation_log WHERE request_id = ANY($1) GROUP BY request_id',
      [ids],
    );
    const reqBy = new Map(req.rows.map((r) => [r.request_id, r]));
    const opBy = new Map(op.rows.map((r) => [r.request_id, r]));
    // Exactly one row per call in each log.
    expect(ids.filter((id) => reqBy.get(id)?.n !== 1)).toEqual([]);
    expect(ids.filter((id) => opBy.get(id)?.n !== 1)).toEqual([]);
    // Hits are logged as hits, with the row count of the answer they sent.
    for (const [i, a] of answers.entries()) {
      if (a.headers.get('x-athena-cache') !== 'hit') continue;
      expect({ id: calls[i].id, req: reqBy.get(calls[i].id)?.cached, op: opBy.get(calls[i].id) }).toEqual({
        id: calls[i].id,
        req: true,
        op: expect.objectContaining({ cached: true, row_count: 1 }),
      });
    }
  });

  it('stores caller-controlled text exactly as sent: tabs, backslashes, quotes and Latin-1 survive the COPY encoding', async () => {
    const id = `odd-${Date.now()}`;
    const ua = 'ua\twith\\backslash \\N and "quotes" ünïcode (Latin-1)';
    const user = 'user\\.\tx';
    const r = await call(`${app.url}/gateway/fetch?x=a%09b%5C&y=\\N`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', 'x-request-id': id, 'user-agent': ua, 'x-user-id': user },
      json: { table_name: 'missing\\table' },
    });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_identifier']);
    await app.server.app.get(GatewayLogWriter).flush();
    const req = await cp.query(
      'SELECT user_agent, user_id, query_string FROM gateway_request_log WHERE request_id = $1',
      [id],
    );
    expect(req.rows).toEqual([{ user_agent: ua, user_id: user, query_string: 'x=a%09b%5C&y=\\N' }]);
    const op = await cp.query(
      'SELECT user_id, error, message, details FROM gateway_operation_log WHERE request_id = $1',
      [id],
    );
    expect(op.rows).toHaveLength(1);
    expect(op.rows[0]).toMatchObject({ user_id: user, error: true });
    // The error the caller got is the one logged (it quotes the bad table name, backslash included).
    expect(op.rows[0].message).toBe(`${r.body.code}: ${r.body.message}`);
    expect(op.rows[0].message).toContain('"missing\\\\table"');
    expect(op.rows[0].details).toEqual({ code: r.body.code, error: r.body.error });
  });
});
