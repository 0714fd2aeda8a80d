import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { bootApp, TestApp } from './support/app';
import { CLI } from './support/processes';
import { createTestDatabase, describeWith, TestDatabase, testTempDir } from './support/services';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/**
 * `athena <args>` as a child process (asynchronous: the gateway under test runs in this process and must keep
 * answering while the CLI waits). No ATHENA_URL / ATHENA_API_KEY from the caller's environment.
 */
function athena(args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env.ATHENA_URL;
  delete env.ATHENA_API_KEY;
  const proc = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (err += c));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
}

/** The clients file must be whole, valid JSON of the documented shape after every command. */
function readClientsFile(dir: string): { default: string | null; clients: Record<string, string> } {
  const text = readFileSync(join(dir, 'config', 'clients.json'), 'utf8');
  const parsed = JSON.parse(text) as { default: string | null; clients: Record<string, string> };
  expect(Object.keys(parsed).sort()).toEqual(['clients', 'default']);
  expect(parsed.default === null || typeof parsed.default === 'string').toBe(true);
  expect(typeof parsed.clients).toBe('object');
  // Atomic write: no temp file is left beside the target.
  expect(readdirSync(join(dir, 'config'))).toEqual(['clients.json']);
  return parsed;
}

/** `athena fetch | pipeline | clients …` as child processes against a booted gateway and a temp config dir. */
describeWith('postgres')('athena data CLI (built binary, child processes)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  let pg: Client;
  const root = testTempDir('athena-cli-remote-');
  const cfg = join(root, 'config.yaml');

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    control = await createTestDatabase('cli_control');
    data = await createTestDatabase('cli_data');
    pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query(`CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, qty integer);
      INSERT INTO items VALUES (1, 'apple', 5), (2, 'banana', 12);
      CREATE TABLE items_copy (id integer PRIMARY KEY, name text NOT NULL, qty integer);`);
    const pipelines = join(root, 'pipelines.yaml');
    writeFileSync(
      pipelines,
      'pipelines:\n  copy_items:\n    source: { table_name: items }\n    sink: { table_name: items_copy }\n',
    );
    writeFileSync(
      cfg,
      'embedded:\n  enabled: false\npostgres_clients:\n  configured: postgres://cfguser:cfg-secret@127.0.0.1:1/db\n',
    );
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, pipelines_path: pipelines },
      postgres_clients: { main: data.uri },
    });
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    await data?.drop();
    await control?.drop();
  });

  const copied = async () => (await pg.query('SELECT count(*)::int AS n FROM items_copy')).rows[0].n as number;

  it('every data command has --help (exit 0)', async () => {
    const dir = testTempDir('athena-cli-help-');
    for (const cmd of [
      ['fetch'],
      ['pipeline'],
      ['clients'],
      ['clients', 'list'],
      ['clients', 'add'],
      ['clients', 'remove'],
      ['clients', 'set-default'],
    ]) {
      const r = await athena([...cmd, '--help'], dir);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.out).toMatch(/^Usage: athena/);
    }
    expect(existsSync(join(dir, 'config'))).toBe(false);
  });

  describe('fetch', () => {
    it('prints the rows (plain and --json), exit 0', async () => {
      const body = JSON.stringify({
        table_name: 'items',
        columns: ['id', 'name'],
        sort_by: { field: 'id', direction: 'asc' },
      });
      const json = await athena(['fetch', '--client', 'main', '--body-json', body, '--url', app.url, '--json'], root);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.out)).toMatchObject({
        status: 'success',
        data: [
          { id: 1, name: 'apple' },
          { id: 2, name: 'banana' },
        ],
      });
      const file = join(root, 'fetch.json');
      writeFileSync(file, body);
      const plain = await athena(['fetch', '--client', 'main', '--body-file', file, '--url', app.url], root);
      expect(plain.code).toBe(0);
      expect(
        plain.out
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => JSON.parse(l)),
      ).toEqual([
        { id: 1, name: 'apple' },
        { id: 2, name: 'banana' },
      ]);
    });

    it('a remote 4xx exits 2 with the status and code on stderr (and the envelope with --json)', async () => {
      const r = await athena(
        ['fetch', '--client', 'main', '--body-json', '{"table_name":"no_such_table"}', '--url', app.url, '--json'],
        root,
      );
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^athena: 404 unknown_table /);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'error', code: 'unknown_table' });
    });

    it('an unreachable gateway exits 2', async () => {
      const r = await athena(
        ['fetch', '--client', 'main', '--body-json', '{"table_name":"items"}', '--url', 'http://127.0.0.1:1'],
        root,
      );
      expect(r.code).toBe(2);
      expect(r.err).toContain('cannot reach the gateway');
    });

    it('usage errors exit 1 without calling the gateway: no client, both bodies, no body, bad JSON', async () => {
      const empty = testTempDir('athena-cli-noclients-');
      const noClient = await athena(['fetch', '--body-json', '{"table_name":"items"}', '--url', app.url], empty);
      expect(noClient.code).toBe(1);
      expect(noClient.err).toContain('give --client NAME');
      const file = join(root, 'fetch.json');
      writeFileSync(file, '{"table_name":"items"}');
      const both = await athena(
        ['fetch', '--client', 'main', '--body-json', '{"table_name":"items"}', '--body-file', file, '--url', app.url],
        root,
      );
      expect(both.code).toBe(1);
      expect(both.err).toContain('give exactly one of --body-json or --body-file');
      const none = await athena(['fetch', '--client', 'main', '--url', app.url], root);
      expect(none.code).toBe(1);
      const bad = await athena(['fetch', '--client', 'main', '--body-json', '{nope', '--url', app.url], root);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('--body-json is not valid JSON');
    });
  });

  describe('pipeline', () => {
    const payload = JSON.stringify({ source: { table_name: 'items' }, sink: { table_name: 'items_copy' } });

    it('--dry-run writes nothing; a real run writes the rows', async () => {
      const dry = await athena(
        ['pipeline', '--client', 'main', '--payload-json', payload, '--dry-run', '--url', app.url, '--json'],
        root,
      );
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.out)).toMatchObject({ rows_fetched: 2, rows_inserted: 0, dry_run: true, would_insert: 2 });
      expect(await copied()).toBe(0);
      const run = await athena(['pipeline', '--client', 'main', '--payload-json', payload, '--url', app.url], root);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/^fetched 2, inserted 2 \(main → main, run /);
      expect((await pg.query('SELECT id, name, qty FROM items_copy ORDER BY id')).rows).toEqual([
        { id: 1, name: 'apple', qty: 5 },
        { id: 2, name: 'banana', qty: 12 },
      ]);
      await pg.query('TRUNCATE items_copy');
    });

    it('runs a template by name; an unknown template exits 2 with its code', async () => {
      const dry = await athena(
        ['pipeline', '--client', 'main', '--pipeline', 'copy_items', '--dry-run', '--url', app.url, '--json'],
        root,
      );
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.out)).toMatchObject({ rows_fetched: 2, would_insert: 2 });
      expect(await copied()).toBe(0);
      const unknown = await athena(['pipeline', '--client', 'main', '--pipeline', 'nope', '--url', app.url], root);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/^athena: 400 unknown_pipeline /);
      expect(await copied()).toBe(0);
    });

    it('usage errors exit 1: nothing to run, a non-object payload', async () => {
      const nothing = await athena(['pipeline', '--client', 'main', '--url', app.url], root);
      expect(nothing.code).toBe(1);
      expect(nothing.err).toContain('give --pipeline NAME, --payload-json or --payload-file');
      const arr = await athena(['pipeline', '--client', 'main', '--payload-json', '[1]', '--url', app.url], root);
      expect(arr.code).toBe(1);
      expect(arr.err).toContain('must be a JSON object');
    });
  });

  describe('clients', () => {
    it('add | set-default | list | remove edit config/clients.json atomically; list redacts passwords', async () => {
      const dir = testTempDir('athena-cli-clients-');
      const add = await athena(['clients', 'add', 'alpha', 'postgres://ua:alpha-secret@db1:5432/a'], dir);
      expect(add).toMatchObject({ code: 0, out: 'saved client alpha\n' });
      expect(readClientsFile(dir)).toEqual({
        default: null,
        clients: { alpha: 'postgres://ua:alpha-secret@db1:5432/a' },
      });
      expect((await athena(['clients', 'add', 'beta', 'postgresql://ub@db2/b?password=beta-secret'], dir)).code).toBe(
        0,
      );
      expect((await athena(['clients', 'set-default', 'beta'], dir)).code).toBe(0);
      expect(readClientsFile(dir)).toEqual({
        default: 'beta',
        clients: { alpha: 'postgres://ua:alpha-secret@db1:5432/a', beta: 'postgresql://ub@db2/b?password=beta-secret' },
      });

      const list = await athena(['--config', cfg, 'clients', 'list', '--json'], dir);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.out)).toEqual({
        default: 'beta',
        clients: [
          { name: 'configured', uri: 'postgres://cfguser:***@127.0.0.1:1/db', source: 'config', default: false },
          { name: 'alpha', uri: 'postgres://ua:***@db1:5432/a', source: 'saved', default: false },
          { name: 'beta', uri: 'postgresql://ub@db2/b?password=***', source: 'saved', default: true },
        ],
      });
      const plain = await athena(['--config', cfg, 'clients', 'list'], dir);
      expect(plain.code).toBe(0);
      expect(
        plain.out
          .split('\n')
          .filter((l) => l.startsWith('*'))
          .map((l) => l.split(/\s+/)[1]),
      ).toEqual(['beta']);
      for (const out of [list.out, plain.out])
        for (const secret of ['alpha-secret', 'beta-secret', 'cfg-secret']) expect(out).not.toContain(secret);

      expect(await athena(['clients', 'remove', 'alpha'], dir)).toMatchObject({
        code: 0,
        out: 'removed client alpha\n',
      });
      expect(readClientsFile(dir)).toEqual({
        default: 'beta',
        clients: { beta: 'postgresql://ub@db2/b?password=beta-secret' },
      });
      // Removing the default client clears the default.
      expect((await athena(['clients', 'remove', 'beta'], dir)).code).toBe(0);
      expect(readClientsFile(dir)).toEqual({ default: null, clients: {} });
    });

    it('unknown names and bad input exit 1 and leave the file as it was', async () => {
      const dir = testTempDir('athena-cli-clients-');
      expect((await athena(['clients', 'add', 'keep', 'postgres://u:p@h/d'], dir)).code).toBe(0);
      const before = readFileSync(join(dir, 'config', 'clients.json'), 'utf8');
      const cases: Array<[string[], string]> = [
        [['clients', 'remove', 'ghost'], 'no saved client "ghost"'],
        [['clients', 'set-default', 'ghost'], 'no saved client "ghost"'],
        [['clients', 'add', 'bad name', 'postgres://h/d'], 'invalid client name'],
        [['clients', 'add', 'other', 'mysql://h/d'], 'must start with postgres://'],
        [['clients', 'add', 'only-name'], 'missing required argument'],
      ];
      for (const [args, msg] of cases) {
        const r = await athena(args, dir);
        expect({ args, code: r.code }).toEqual({ args, code: 1 });
        expect(r.err).toContain(msg);
        expect(readFileSync(join(dir, 'config', 'clients.json'), 'utf8')).toBe(before);
      }
      readClientsFile(dir);
    });

    it('a corrupt clients file is a usage error (exit 1), not a crash', async () => {
      const dir = testTempDir('athena-cli-clients-');
      mkdirSync(join(dir, 'config'));
      writeFileSync(join(dir, 'config', 'clients.json'), '{"default": ');
      const r = await athena(['clients', 'list', '--json'], dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain('cannot read config/clients.json');
    });

    it('fetch and pipeline use the default client of config/clients.json when --client is omitted', async () => {
      const dir = testTempDir('athena-cli-default-');
      expect((await athena(['clients', 'add', 'main', data.uri], dir)).code).toBe(0);
      expect((await athena(['clients', 'set-default', 'main'], dir)).code).toBe(0);
      const f = await athena(
        ['fetch', '--body-json', '{"table_name":"items","columns":["id"]}', '--url', app.url, '--json'],
        dir,
      );
      expect(f.code).toBe(0);
      expect(
        JSON.parse(f.out)
          .data.map((r: { id: number }) => r.id)
          .sort(),
      ).toEqual([1, 2]);
      const p = await athena(['pipeline', '--pipeline', 'copy_items', '--dry-run', '--url', app.url, '--json'], dir);
      expect(p.code).toBe(0);
      expect(JSON.parse(p.out)).toMatchObject({ source_client: 'main', sink_client: 'main', would_insert: 2 });
      // --clients-file points elsewhere (from any working directory); --client wins over the default.
      const elsewhere = testTempDir('athena-cli-elsewhere-');
      const viaFile = await athena(
        [
          'fetch',
          '--clients-file',
          join(dir, 'config', 'clients.json'),
          '--body-json',
          '{"table_name":"items"}',
          '--url',
          app.url,
          '--json',
        ],
        elsewhere,
      );
      expect(viaFile.code).toBe(0);
      const explicit = await athena(
        ['fetch', '--client', 'nope', '--body-json', '{"table_name":"items"}', '--url', app.url],
        dir,
      );
      expect(explicit.code).toBe(2);
      // A default the gateway does not know is the gateway's 4xx (exit 2): the gateway does not read clients.json.
      expect((await athena(['clients', 'add', 'local_only', 'postgres://u:p@127.0.0.1:1/x'], dir)).code).toBe(0);
      expect((await athena(['clients', 'set-default', 'local_only'], dir)).code).toBe(0);
      const unknown = await athena(['fetch', '--body-json', '{"table_name":"items"}', '--url', app.url], dir);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/^athena: 4\d\d /);
      expect(await copied()).toBe(0);
    });
  });
});
