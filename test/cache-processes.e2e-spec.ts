import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { CLI, GatewayProcess, startGatewayProcess, stopChild } from './support/processes';
import { createTestDatabase, requireService, serviceUrl, TestDatabase } from './support/services';

/**
 * The cache across two gateway PROCESSES sharing one Redis: this test process runs one instance, the other is
 * the built `athena server` binary in a child process. A write through either invalidates the other's cached
 * read (Redis generation + pub/sub), and neither ever answers data older than a write that completed first.
 */
const describeBoth = requireService('postgres') && requireService('redis') ? describe : describe.skip;

describeBoth('response cache across two gateway processes sharing Redis', () => {
  let a: TestApp;
  let child: GatewayProcess;
  let bUrl = '';
  let control: TestDatabase;
  let data: TestDatabase;
  const prefix = `athena:test:procs:${randomBytes(4).toString('hex')}:`;
  const read = (url: string) =>
    call(`${url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 1 }] },
    });
  const update = (url: string, name: string) =>
    call(`${url}/gateway/update`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main' },
      json: { table_name: 'items', update_body: { name }, conditions: [{ eq_column: 'id', eq_value: 1 }] },
    });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    control = await createTestDatabase('procs_control');
    data = await createTestDatabase('procs_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(`CREATE TABLE items (id integer PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'v0');`);
    await d.end();
    const shared = {
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { main: data.uri },
      redis: { url: serviceUrl('redis') },
      api: { cache_ttl_seconds: 300, cache: { redis_key_prefix: prefix } },
    };
    a = await bootApp(shared);
    child = await startGatewayProcess({ ...shared, api: shared.api });
    bUrl = child.url;
  }, 60_000);

  afterAll(async () => {
    await stopChild(child);
    await a?.close();
    await data?.drop();
    await control?.drop();
  });

  it('the processes are distinct (different pids) and each serves reads from its own cache', async () => {
    expect(child.proc.pid).not.toBe(process.pid);
    for (const url of [a.url, bUrl]) {
      await read(url);
      const again = await read(url);
      expect(again.headers.get('x-athena-cache')).toBe('hit');
      expect(again.body.data).toEqual([{ id: 1, name: 'v0' }]);
    }
  });

  it("a write through one process invalidates the other's cached read, in both directions", async () => {
    for (const [writer, reader, name] of [
      [a.url, bUrl, 'v1'],
      [bUrl, a.url, 'v2'],
    ] as const) {
      expect((await read(reader)).headers.get('x-athena-cache')).toBe('hit');
      expect((await update(writer, name)).status).toBe(200);
      // The write has completed: a read that starts now must see it, whichever process serves it.
      const after = await read(reader);
      expect(after.body.data).toEqual([{ id: 1, name }]);
      expect(after.headers.get('x-athena-cache')).toBe('miss');
      expect((await read(reader)).headers.get('x-athena-cache')).toBe('hit');
    }
  });
});
