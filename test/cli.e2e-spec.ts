import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { testTempDir } from './support/services';

/** The `athena` binary as users run it: the built dist/ (npm test builds first). */
const ROOT = resolve(__dirname, '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
const BIN = join(ROOT, PKG.bin.athena);

function athena(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('athena CLI (built binary)', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does it)`);
  });

  it('prints the package version with `version` and `--version`', () => {
    expect(athena(['version'])).toMatchObject({ code: 0, out: `athena ${PKG.version}\n` });
    expect(athena(['--version']).out.trim()).toBe(PKG.version);
  });

  it('has --help on every command', () => {
    for (const cmd of [[], ['server'], ['version'], ['diag'], ['migrate'], ['migrate', 'run']]) {
      const r = athena([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: athena/);
    }
    expect(athena(['--help']).out).toEqual(expect.stringContaining('server'));
  });

  it('`diag --json` reports the machine and where the config comes from', () => {
    const dir = testTempDir('athena-cli-');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'postgres_clients:\n  reports: postgres://u:secret@127.0.0.1:1/db\n');
    const r = athena(['--config', cfg, 'diag', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as Record<string, unknown>;
    expect(info).toMatchObject({
      athena: PKG.version,
      arch: process.arch,
      node: process.version,
      config: { path: cfg, created: false, clients: ['reports'] },
    });
    for (const k of ['os', 'cpus', 'hostname', 'locale']) expect(info[k]).toBeTruthy();
    expect(r.out).not.toContain('secret');
  });

  it('refuses a bad --port and an invalid config file, naming what is wrong', () => {
    const port = athena(['server', '--port', 'abc']);
    expect(port.code).not.toBe(0);
    expect(port.err).toContain('expected an integer 1..65535');
    const dir = testTempDir('athena-cli-');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'api:\n  port: abc\n');
    const bad = athena(['server', '--config', cfg]);
    expect(bad.code).not.toBe(0);
    expect(bad.err + bad.out).toContain('api.port: expected integer 1..65535, got "abc"');
  });
});
