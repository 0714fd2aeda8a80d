import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { bundledConfigPath, loadConfig, parseYamlText, type LoadConfigOptions } from './loader';

const REPO_CONFIG = path.resolve(__dirname, '../../../config.yaml');

describe('loadConfig', () => {
  let tmp: string;
  let home: string;
  let cwd: string;
  let logs: Array<[string, string]>;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-config-'));
    home = path.join(tmp, 'home');
    cwd = path.join(tmp, 'cwd');
    fs.mkdirSync(home);
    fs.mkdirSync(cwd);
    logs = [];
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const opts = (extra: Partial<LoadConfigOptions> = {}): LoadConfigOptions => ({
    env: { HOME: home },
    cwd,
    platform: 'linux',
    homedir: home,
    log: (level, msg) => logs.push([level, msg]),
    ...extra,
  });
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  it('bundledConfigPath() finds the repo config.yaml', () => {
    expect(bundledConfigPath()).toBe(REPO_CONFIG);
    expect(fs.existsSync(REPO_CONFIG)).toBe(true);
  });

  it('the bundled config.yaml validates and equals the built-in defaults', () => {
    const fromFile = loadConfig(opts({ explicitPath: REPO_CONFIG }));
    expect(fromFile.warnings).toEqual([]);
    const empty = loadConfig(opts({ explicitPath: write(path.join(tmp, 'empty.yaml'), '# nothing\n') }));
    expect(fromFile.config).toEqual(empty.config);
    expect(fromFile.config.api.port).toBe(4052);
    expect(fromFile.config.postgres_clients).toEqual({});
  });

  it('the bundled config honours its env tokens', () => {
    const env = {
      HOME: home,
      PORT: '8088',
      REDIS_URL: 'redis://r:6379',
      POSTGRES_ATHENA_LOGGING_URI: 'postgres://l/db',
    };
    const { config } = loadConfig(opts({ explicitPath: REPO_CONFIG, env }));
    expect(config.api.port).toBe(8088);
    expect(config.redis.url).toBe('redis://r:6379');
    expect(config.gateway.logging_pg_uri).toBe('postgres://l/db');
  });

  it('an explicit path wins over ATHENA_CONFIG_PATH and the candidates (relative to cwd)', () => {
    write(path.join(cwd, 'explicit.yaml'), 'api: { port: 1111 }\n');
    const envFile = write(path.join(tmp, 'env.yaml'), 'api: { port: 2222 }\n');
    write(path.join(home, '.config/athena/config.yaml'), 'api: { port: 3333 }\n');
    const r = loadConfig(opts({ explicitPath: 'explicit.yaml', env: { HOME: home, ATHENA_CONFIG_PATH: envFile } }));
    expect(r.config.api.port).toBe(1111);
    expect(r.path).toBe(path.join(cwd, 'explicit.yaml'));
    expect(r.inspected).toEqual([r.path]);
    expect(r.created).toBe(false);
  });

  it('ATHENA_CONFIG_PATH wins over the candidates', () => {
    const envFile = write(path.join(tmp, 'env.yaml'), 'api: { port: 2222 }\n');
    write(path.join(home, '.config/athena/config.yaml'), 'api: { port: 3333 }\n');
    const r = loadConfig(opts({ env: { HOME: home, ATHENA_CONFIG_PATH: envFile } }));
    expect(r.config.api.port).toBe(2222);
    expect(r.path).toBe(envFile);
  });

  it('a missing explicit path or ATHENA_CONFIG_PATH is an error naming it (no fallback)', () => {
    write(path.join(home, '.config/athena/config.yaml'), 'api: { port: 3333 }\n');
    const missing = path.join(tmp, 'nope.yaml');
    expect(() => loadConfig(opts({ explicitPath: missing }))).toThrow(ConfigError);
    expect(() => loadConfig(opts({ explicitPath: missing }))).toThrow(
      `${missing}: config file not found (given by --config)`,
    );
    expect(() => loadConfig(opts({ env: { HOME: home, ATHENA_CONFIG_PATH: missing } }))).toThrow(
      `${missing}: config file not found (given by ATHENA_CONFIG_PATH)`,
    );
  });

  it('uses the first existing candidate', () => {
    write(path.join(home, '.athena/config.yaml'), 'api: { port: 4444 }\n');
    write(path.join(cwd, 'config.yaml'), 'api: { port: 5555 }\n');
    const r = loadConfig(opts());
    expect(r.config.api.port).toBe(4444);
    expect(r.path).toBe(path.join(home, '.athena/config.yaml'));
    expect(r.created).toBe(false);
  });

  it('copies the bundled default into the first writable candidate when none exists', () => {
    const r = loadConfig(opts());
    const target = path.join(home, '.config/athena/config.yaml');
    expect(r.created).toBe(true);
    expect(r.path).toBe(target);
    expect(fs.readFileSync(target, 'utf8')).toBe(fs.readFileSync(REPO_CONFIG, 'utf8'));
    expect(r.inspected).toEqual([target, path.join(home, '.athena/config.yaml'), path.join(cwd, 'config.yaml')]);
    for (const p of r.inspected) expect(logs).toContainEqual(['info', `config not found at ${p}`]);
    expect(logs).toContainEqual(['info', `created config file ${target} from the bundled default`]);
    expect(r.config.api.port).toBe(4052);
    // second start: found, not created again
    const again = loadConfig(opts());
    expect(again.path).toBe(target);
    expect(again.created).toBe(false);
  });

  it('skips a candidate whose directory cannot be created', () => {
    fs.writeFileSync(path.join(home, '.config'), 'a file, not a directory');
    const r = loadConfig(opts());
    expect(r.created).toBe(true);
    expect(r.path).toBe(path.join(home, '.athena/config.yaml'));
  });

  it('uses XDG_CONFIG_HOME first when set', () => {
    const xdg = path.join(tmp, 'xdg');
    const r = loadConfig(opts({ env: { HOME: home, XDG_CONFIG_HOME: xdg } }));
    expect(r.path).toBe(path.join(xdg, 'athena/config.yaml'));
  });

  it('applies the --port override', () => {
    expect(loadConfig(opts({ explicitPath: REPO_CONFIG, overrides: { port: 9999 } })).config.api.port).toBe(9999);
    expect(() => loadConfig(opts({ explicitPath: REPO_CONFIG, overrides: { port: 123456 } }))).toThrow(
      'api.port: expected integer 1..65535, got 123456 (from --port)',
    );
  });

  it('validation errors name the file', () => {
    const f = write(path.join(tmp, 'bad.yaml'), 'api:\n  port: abc\n');
    try {
      loadConfig(opts({ explicitPath: f }));
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).source).toBe(f);
      expect((e as Error).message).toBe(
        `Invalid Athena configuration in ${f} (1 problem):\n  api.port: expected integer 1..65535, got "abc"`,
      );
    }
  });

  it('YAML syntax errors give file, line and column', () => {
    const f = write(path.join(tmp, 'syntax.yaml'), 'api:\n  port: 1\n  host: [a\ngateway: {}\n');
    try {
      loadConfig(opts({ explicitPath: f }));
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:1: `));
    }
  });

  it('duplicate keys are a syntax error', () => {
    expect(() => parseYamlText('api:\n  port: 1\n  port: 2\n', 'x.yaml')).toThrow(
      /x\.yaml:3:3: Map keys must be unique/,
    );
  });
});
