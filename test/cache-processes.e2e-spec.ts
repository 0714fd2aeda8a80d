import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { bootApp, call, TestApp } from './support/app';
import {
  createTestDatabase,
  freePort,
  requireService,
  serviceUrl,
  TestDatabase,
  testTempDir,
} from './support/services';

/**
 * The cache across two gateway PROCESSES sharing one Redis: this test process runs one instance, the other is
 * the built `athena server` binary in a child process. A write through either invalidates the other's cached
 * read (Redis generation + pub/sub), and neither ever answers data older than a write that completed first.
 */
const CLI = join(resolve(__dirname, '..'), 'dist/apps/athena/apps/athena/src/cli.js');
const describeBoth = requireService('postgres') && requireService('redis') ? describe : describe.skip;

describeBoth('response cache across two gateway processes sharing Redis', () => {
  let a: TestApp;
  let child: ChildProcess;
  let bUrl = '';
  let control: TestDatabase;
  let data: TestDatabase;
  let childOut = '';
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
    const dir = testTempDir('athena-procs-');
    const cfg = join(dir, 'config.yaml');
    const port = await freePort();
    writeFileSync(
      cfg,
      stringify({
        ...shared,
        api: { ...shared.api, host: '127.0.0.1', port },
        embedded: { enabled: false },
        logging: { level: 'warn' },
      }),
    );
    child = spawn(process.execPath, [CLI, 'server', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c) => (childOut += c));
    child.stderr!.on('data', (c) => (childOut += c));
    bUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`second gateway process exited:\n${childOut}`);
      const r = await call(`${bUrl}/ready`).catch(() => null);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`second gateway process not ready in 30 s:\n${childOut}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await exited;
    }
    await a?.close();
    await data?.drop();
    await control?.drop();
  });

  it('the processes are distinct (different pids) and each serves reads from its own cache', async () => {
    expect(child.pid).not.toBe(process.pid);
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
