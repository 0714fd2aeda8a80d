import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startServer } from '../apps/athena/src/server';
import { Client } from 'pg';
import { bootApp, call, LogCapture } from './support/app';
import { waitFor } from './support/processes';
import { createTestDatabase, freePort, testTempDir } from './support/services';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist/apps/athena/apps/athena/src/cli.js');

/** True when nothing listens on 127.0.0.1:`port` (we can bind it). */
function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

function writeConfig(doc: Record<string, unknown>): string {
  const dir = testTempDir('athena-cfg-');
  const p = join(dir, 'config.yaml');
  writeFileSync(p, stringify(doc));
  return p;
}

describe('configuration errors fail fast and name the key', () => {
  it('an invalid config.yaml stops the boot with key path, bad value and what is allowed', async () => {
    const p = writeConfig({ api: { port: 'abc' }, gateway: { api_key_fail_mode: 'sometimes' } });
    await expect(startServer({ configPath: p, logDestination: new LogCapture() })).rejects.toThrow(
      /api\.port: expected integer 1\.\.65535, got "abc"/,
    );
    await expect(startServer({ configPath: p, logDestination: new LogCapture() })).rejects.toThrow(
      /gateway\.api_key_fail_mode: expected .*fail_closed.*fail_open.*, got "sometimes"/,
    );
  });

  it('an explicit --config path that does not exist is an error, not a silent fallback', async () => {
    await expect(
      startServer({ configPath: '/nonexistent/athena.yaml', logDestination: new LogCapture() }),
    ).rejects.toThrow(/\/nonexistent\/athena\.yaml/);
  });
});

describe('graceful shutdown', () => {
  it('/ready turns 503 while draining, in-flight requests finish, then the port closes', async () => {
    const db = await createTestDatabase('lifecycle');
    const app = await bootApp({
      api: { shutdown_delay_ms: 700, shutdown_grace_ms: 5000 },
      gateway: { logging_pg_uri: db.uri },
      postgres_clients: { main: db.uri },
    });
    // The in-flight request waits on an advisory lock the test holds, so it is provably still running when the
    // drain starts and ends only when the test lets it (no sleep racing the shutdown).
    const holder = new Client({ connectionString: db.uri });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(4242)');
    try {
      expect((await call(`${app.url}/ready`)).status).toBe(200);
      const slow = call(`${app.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main' },
        json: { query: 'SELECT (pg_advisory_xact_lock(4242))::text IS NULL AS slept' },
      });
      await waitFor(
        () =>
          holder.query(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted",
          ),
        (r) => r.rows[0].n === 1,
      );
      const stopping = app.close(); // draining starts synchronously: /ready answers 503 from now on
      const ready = await call(`${app.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not_ready', reason: 'draining' });
      expect(ready.headers.get('retry-after')).toBe('1');
      await holder.query('SELECT pg_advisory_unlock(4242)');
      const done = await slow;
      expect(done.status).toBe(200);
      expect(done.body.data).toEqual([{ slept: false }]);
      await stopping;
      await expect(fetch(`${app.url}/ping`)).rejects.toThrow();
    } finally {
      await holder.end();
      await app.close();
      await db.drop();
    }
  });
});

describe('embedded default (no control-plane URI configured)', () => {
  it('starts an embedded PostgreSQL, migrates it, registers `local`, and reuses the data on the next start', async () => {
    const dataDir = join(testTempDir('athena-embedded-'), 'pg');
    const port = await freePort();
    const cfg = writeConfig({
      api: { port: await freePort(), host: '127.0.0.1' },
      embedded: { enabled: true, data_dir: dataDir, port },
      logging: { level: 'info' },
    });
    const t0 = Date.now();
    const first = await startServer({ configPath: cfg, logDestination: new LogCapture() });
    const cold = Date.now() - t0;
    try {
      const health = await call(`${first.url}/health`);
      expect(health.status).toBe(200);
      expect(health.body.details.control_plane).toMatchObject({ status: 'up', origin: 'embedded' });
      expect((await call(`${first.url}/ready`)).status).toBe(200);
      const create = await call(`${first.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'local' },
        json: { query: `CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text)` },
      });
      expect(create.status).toBe(200);
      const ins = await call(`${first.url}/gateway/insert`, {
        method: 'PUT',
        headers: { 'x-athena-client': 'local' },
        json: { table_name: 'notes', insert_body: { body: 'kept across restarts' } },
      });
      expect(ins.status).toBe(200);
    } finally {
      await first.shutdown('test');
    }
    const t1 = Date.now();
    const second = await startServer({ configPath: cfg, logDestination: new LogCapture() });
    const warm = Date.now() - t1;
    try {
      const r = await call(`${second.url}/gateway/fetch`, {
        method: 'POST',
        headers: { 'x-athena-client': 'local' },
        json: { table_name: 'notes', columns: 'body' },
      });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([{ body: 'kept across restarts' }]);
      // A boot that fails after starting its embedded PostgreSQL (here: the API port is taken) stops it again.
      const pgPort = await freePort();
      const clash = writeConfig({
        api: { port: second.port, host: '127.0.0.1' },
        embedded: { enabled: true, data_dir: join(testTempDir('athena-embedded-'), 'pg'), port: pgPort },
      });
      await expect(startServer({ configPath: clash, logDestination: new LogCapture() })).rejects.toThrow(/EADDRINUSE/);
      expect(await canListen(pgPort)).toBe(true);
    } finally {
      await second.shutdown('test');
    }
    process.stdout.write(`embedded default boot-to-ready: cold ${cold} ms, warm ${warm} ms\n`);
  }, 180_000);
});

describe('the athena CLI (built binary)', () => {
  beforeAll(() => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it in pretest)`);
  });

  // version / diag / --help / argument errors: test/cli.e2e-spec.ts
  it('`athena server` serves, and exits 0 on SIGTERM after draining', async () => {
    const db = await createTestDatabase('cli');
    const cfg = writeConfig({
      api: { host: '127.0.0.1' },
      gateway: { logging_pg_uri: db.uri },
      embedded: { enabled: false },
      logging: { level: 'info' },
    });
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'server', '--config', cfg, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('athena gateway listening')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await call(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out).toContain('draining');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await db.drop();
    }
  });
});
