import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { freePort } from '../libs/common/src/testing';
import { bootApp, TestApp } from './support/app';
import { createTestDatabase, requireService, serviceUrl, testTempDir, TestDatabase } from './support/services';
import { testBucket } from './support/s3-client';

/** The built `athena` binary (npm test builds first), run as a child process against gateways in this process. */
const ROOT = resolve(__dirname, '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = join(ROOT, PKG.bin.athena);
const ADMIN_KEY = `cli-admin-${randomBytes(6).toString('hex')}`;
const describeCli = requireService('postgres') && requireService('s3') ? describe : describe.skip;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Async (the gateway runs in this process: spawnSync would block it). */
function athena(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; tty?: boolean } = {},
): Promise<Run> {
  const env = { ...process.env, ATHENA_KEY_12: ADMIN_KEY, ...opts.env } as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  // Under `script` stdin/stdout/stderr are a pseudo-terminal (its output arrives on our stdout).
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = opts.tty
    ? spawn('script', ['-qec', quoted, '/dev/null'], { env, cwd: opts.cwd })
    : spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res) => child.once('close', (code) => res({ code, out, err })));
}

async function sql(uri: string, text: string): Promise<unknown[]> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

describeCli('athena backup CLI (built binary against a running gateway, moto S3)', () => {
  let control: TestDatabase;
  let src: TestDatabase;
  let clone: TestDatabase;
  let app: TestApp;
  let async202: TestApp;
  let s3: S3Client;
  const bucket = `athena-cli-${randomBytes(4).toString('hex')}`;
  let key = '';
  const savedAdminKey = process.env.ATHENA_KEY_12;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does it)`);
    const endpoint = serviceUrl('s3')!;
    s3 = await testBucket(endpoint, bucket);
    [control, src, clone] = await Promise.all([
      createTestDatabase('bc_control'),
      createTestDatabase('bc_src'),
      createTestDatabase('bc_clone'),
    ]);
    // ~6 MB of incompressible rows: a dump that takes a few polls.
    await sql(
      src.uri,
      `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
      INSERT INTO blobs SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 4096) j) FROM generate_series(1, 96) i;
      CREATE TABLE notes (id int, t text); INSERT INTO notes VALUES (1, 'Grüße 東京')`,
    );
    // The gateway reads the admin key from its environment on each admin request.
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    const backup = {
      bucket,
      prefix: 'cli',
      endpoint,
      region: 'us-east-1',
      force_path_style: true,
      access_key_id: 'test',
      secret_access_key: 'test',
    };
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { src: src.uri, clone: clone.uri },
      backup,
    });
    async202 = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { src: src.uri, clone: clone.uri },
      backup: { ...backup, wait_ms: 0 },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await async202?.close();
    if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = savedAdminKey;
    await Promise.all([control, src, clone].map((d) => d?.drop()));
    s3?.destroy();
  });

  it('create waits for the job, prints plain progress lines off a terminal and the key; --json prints the result', async () => {
    const r = await athena(['backup', 'create', 'src', '--label', 'cli', '--url', app.url, '--poll-ms', '50']);
    expect(r.err).not.toMatch(/athena:/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^backup of src completed: cli\/src\/\d{8}T\d{6}\.\d{3}Z-cli\.dump \(\d+\.\d+ MiB, job \d+, \d+s\)\n$/,
    );
    expect(r.err).toMatch(/^backup job \d+ \(src\) completed .*\d+\.\d+ MiB/m);
    expect(r.err).not.toContain('\r');
    key = /(cli\/src\/\S+\.dump)/.exec(r.out)![1];

    const j = await athena(['backup', 'create', 'src', '--json', '--url', app.url]);
    expect(j.code).toBe(0);
    const data = JSON.parse(j.out) as { key: string; client_name: string; label: string; job: { status: string } };
    expect(data).toMatchObject({ client_name: 'src', label: 'manual', job: { status: 'completed' } });
    expect(j.err).toBe('');
  });

  it('follows a job answered with 202 until it completes', async () => {
    const r = await athena(['backup', 'create', 'src', '--label', 'async', '--url', async202.url, '--poll-ms', '50']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^backup of src completed: cli\/src\/\S+-async\.dump/);
    expect(r.err).toMatch(/backup job \d+ \(src\) (pending|running|completed)/);
    const nowait = await athena([
      'backup',
      'create',
      'src',
      '--label',
      'nowait',
      '--no-wait',
      '--json',
      '--url',
      async202.url,
    ]);
    expect(nowait.code).toBe(0);
    expect(JSON.parse(nowait.out)).toMatchObject({ job_id: expect.any(Number), client_name: 'src' });
    // Wait for it through the CLI's own job view, so the next tests see an idle client.
    const id = (JSON.parse(nowait.out) as { job_id: number }).job_id;
    for (;;) {
      const res = await fetch(`${app.url}/admin/backups/jobs/${id}`, { headers: { 'x-athena-admin-key': ADMIN_KEY } });
      const status = ((await res.json()) as { data: { job: { status: string } } }).data.job.status;
      if (status !== 'pending' && status !== 'running') break;
      await new Promise((r2) => setTimeout(r2, 100));
    }
  });

  it('list prints a table, or JSON', async () => {
    const t = await athena(['backup', 'list', '--client', 'src', '--url', app.url]);
    expect(t.code).toBe(0);
    expect(t.out.split('\n')[0]).toMatch(/^KEY\s+CLIENT\s+LABEL\s+SIZE\s+LAST MODIFIED$/);
    expect(t.out).toContain(key);
    const j = await athena(['backup', 'list', '--json', '--url', app.url, '--admin-key', ADMIN_KEY], {
      env: { ATHENA_KEY_12: undefined },
    });
    expect(j.code).toBe(0);
    expect((JSON.parse(j.out) as Array<{ key: string }>).map((b) => b.key)).toContain(key);
  });

  it('download streams to a file atomically; on a terminal it draws a bar with rate and ETA', async () => {
    const dir = testTempDir('athena-cli-dl-');
    const file = join(dir, 'src.dump');
    const r = await athena(['backup', 'download', key, '-o', file, '--url', app.url]);
    expect(r.code).toBe(0);
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const want = createHash('sha256')
      .update(Buffer.from(await obj.Body!.transformToByteArray()))
      .digest('hex');
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(want);
    expect(r.out).toContain(`downloaded ${key} → ${file}`);
    expect(readdirSync(dir)).toEqual(['src.dump']);

    // An existing file is kept unless --force (usage error, exit 1).
    writeFileSync(file, 'keep me');
    const exists = await athena(['backup', 'download', key, '-o', file, '--url', app.url]);
    expect(exists.code).toBe(1);
    expect(exists.err).toContain('exists (use --force');
    expect(readFileSync(file, 'utf8')).toBe('keep me');

    // Default name in the cwd, through a pseudo-terminal.
    const tty = await athena(['backup', 'download', key, '--url', app.url], { cwd: dir, tty: true });
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(/\rdownload (running|completed) \[[#.]{24}\]\s+\d+% [\d.]+ (KiB|MiB) \/ [\d.]+ MiB/);
    expect(tty.out).toMatch(
      // eslint-disable-next-line no-control-regex -- the terminal escape that clears the line is what is asserted
      /\rdownload completed \[#{24}\] 100% 6\.\d+ MiB \/ 6\.\d+ MiB [\d.]+ (KiB|MiB|GiB)\/s ETA 0s\x1b\[K/,
    );
    expect(tty.out).toContain('\x1b[K');
    expect(readdirSync(dir).sort()).toEqual([key.split('/').pop(), 'src.dump'].sort());

    // A missing object: exit 2, nothing written.
    const missing = await athena([
      'backup',
      'download',
      'cli/src/20260101T000000.000Z-none.dump',
      '-o',
      join(dir, 'none.dump'),
      '--url',
      app.url,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('HTTP 404 backup_not_found');
    expect(readdirSync(dir)).not.toContain('none.dump');
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('restore into another client shows progress with the object size and completes', async () => {
    const r = await athena(['backup', 'restore', key, '--client', 'clone', '--url', async202.url, '--poll-ms', '50']);
    expect(r.err).not.toMatch(/athena:/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^restored ${key.replace(/\./g, '\\.')} into clone \\(\\d+\\.\\d+ MiB, job \\d+`));
    expect(r.err).toMatch(/restore job \d+ \(clone\) \w+ \[[#.]+\]/);
    expect(await sql(clone.uri, `SELECT t FROM notes`)).toEqual([{ t: 'Grüße 東京' }]);
    expect(await sql(clone.uri, `SELECT count(*)::int AS n FROM blobs`)).toEqual([{ n: 96 }]);
  });

  it('exit codes: 1 for usage, 2 for remote errors', async () => {
    expect((await athena(['backup', 'create', '--url', app.url])).code).toBe(1); // missing <client>
    expect((await athena(['backup', 'restore', key, '--url', app.url])).code).toBe(1); // missing --client
    const nokey = await athena(['backup', 'list', '--url', app.url], { env: { ATHENA_KEY_12: undefined } });
    expect(nokey).toMatchObject({ code: 1, err: 'athena: no admin key: pass --admin-key or set ATHENA_KEY_12\n' });
    const unknown = await athena(['backup', 'create', 'nope', '--url', app.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('HTTP 404 client_not_found');
    const wrongKey = await athena(['backup', 'list', '--url', app.url, '--admin-key', 'wrong']);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.err).toMatch(/HTTP 401/);
    const port = await freePort();
    const down = await athena(['backup', 'list', '--url', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(2);
    expect(down.err).toContain(`cannot reach the gateway at http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});
