import { freePort } from '../../../common/src/testing';
/**
 * Starts the real embedded PostgreSQL in a temp dir on a free port: cold start, warm restart
 * that keeps data, stale pid file, busy port, idempotent stop. Touches the filesystem (~5-10 s).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { embeddedPasswordFile, startEmbeddedPostgres, EmbeddedPostgresHandle } from './embedded-postgres';

jest.setTimeout(60_000);

async function query(uri: string, sql: string): Promise<unknown[]> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('startEmbeddedPostgres', () => {
  let base: string;
  let dataDir: string;
  let port: number;
  const logs: Array<[string, string]> = [];
  const log = (level: 'info' | 'warn' | 'error', msg: string): void => {
    logs.push([level, msg]);
  };
  const handles: EmbeddedPostgresHandle[] = [];

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-emb-spec-'));
    fs.chmodSync(base, 0o755);
    dataDir = path.join(base, 'pg');
    port = await freePort();
  });

  afterAll(async () => {
    for (const h of handles) await h.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('cold start initialises, creates athena_logging and stores a 0600 password file', async () => {
    const h = await startEmbeddedPostgres({ dataDir, port, log });
    handles.push(h);
    expect(h.port).toBe(port);
    expect(h.uri).toContain(`@127.0.0.1:${port}/postgres`);
    expect(h.controlUri).toContain(`@127.0.0.1:${port}/athena_logging`);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(fs.statSync(embeddedPasswordFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(logs.some(([, m]) => /cold start/.test(m))).toBe(true);
    await query(h.controlUri, 'CREATE TABLE kept (id int primary key, v text)');
    await query(h.controlUri, "INSERT INTO kept VALUES (1, 'still here')");
    await h.stop();
    await h.stop(); // idempotent
    await expect(query(h.uri, 'SELECT 1')).rejects.toThrow();
  });

  it('warm restart reuses the cluster and its data, even over a stale postmaster.pid', async () => {
    // Simulate a crash leftover: a pid file whose pid is dead.
    fs.writeFileSync(path.join(dataDir, 'postmaster.pid'), `999999\n${dataDir}\n0\n${port}\n\n127.0.0.1\n0 0\nready\n`);
    logs.length = 0;
    const h = await startEmbeddedPostgres({ dataDir, port, log });
    handles.push(h);
    expect(logs.some(([, m]) => /warm start/.test(m))).toBe(true);
    expect(logs.some(([l, m]) => l === 'warn' && /stale postmaster\.pid/.test(m))).toBe(true);
    expect(await query(h.controlUri, 'SELECT v FROM kept WHERE id = 1')).toEqual([{ v: 'still here' }]);
    await h.stop();
  });

  it('fails clearly when the port is taken by something else', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      await expect(startEmbeddedPostgres({ dataDir, port, log })).rejects.toThrow(
        new RegExp(`port ${port}.*embedded\\.port`),
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
