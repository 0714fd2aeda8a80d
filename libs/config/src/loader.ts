/**
 * Config discovery + loading: `--config` path, then `ATHENA_CONFIG_PATH`, then `configCandidates()`; when nothing
 * exists, the bundled `config.yaml` is copied into the first writable candidate and loaded from there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import type { AthenaConfig } from './config.types';
import { ConfigError } from './config-error';
import { configCandidates } from './paths';
import { validateConfigWithWarnings } from './validate';

export type ConfigLogFn = (level: 'info' | 'warn', msg: string, fields?: object) => void;

export interface LoadConfigOptions {
  /** From `--config` / `--config-path`. Relative paths resolve against `cwd`. Must exist. */
  explicitPath?: string;
  /** Default `process.env`. `ATHENA_CONFIG_PATH` is read from here (must exist when set). */
  env?: NodeJS.ProcessEnv;
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Default `os.homedir()`. */
  homedir?: string;
  /** The default config copied on first run. Default `bundledConfigPath()`. */
  bundledPath?: string;
  /** Command-line overrides (`--port`), validated like the file value. */
  overrides?: { port?: number | string };
  /** Where discovery/creation messages and warnings go. Default: one line each on stderr. */
  log?: ConfigLogFn;
}

export interface LoadedConfig {
  config: AthenaConfig;
  /** The file the config was read from. */
  path: string;
  /** True when that file was just created from the bundled default. */
  created: boolean;
  /** Every location looked at, in order. */
  inspected: string[];
  /** Non-fatal findings (also logged at `warn`). */
  warnings: string[];
}

const defaultLog: ConfigLogFn = (level, msg, fields) => {
  process.stderr.write(`[athena:config] ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
};

/**
 * The bundled default `config.yaml` at the repository/package root. Works from `libs/config/src` (ts-node/jest:
 * three levels up) and from the compiled `dist/apps/athena/libs/config/src` (six levels up); returns the first that
 * exists, else the first candidate (so an error names a sensible path).
 */
export function bundledConfigPath(): string {
  const candidates = [
    path.resolve(__dirname, '../../../config.yaml'),
    path.resolve(__dirname, '../../../../../../config.yaml'),
  ];
  return candidates.find((p) => isFile(p)) ?? candidates[0];
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const platform = opts.platform ?? process.platform;
  const homedir = opts.homedir ?? os.homedir();
  const log = opts.log ?? defaultLog;

  let file: string | undefined;
  let created = false;
  let inspected: string[];

  const explicit = nonBlank(opts.explicitPath)
    ? { p: opts.explicitPath, via: '--config' }
    : nonBlank(env.ATHENA_CONFIG_PATH)
      ? { p: env.ATHENA_CONFIG_PATH, via: 'ATHENA_CONFIG_PATH' }
      : undefined;

  if (explicit) {
    file = path.resolve(cwd, explicit.p);
    inspected = [file];
    if (!fs.existsSync(file)) {
      throw new ConfigError(
        [`${file}: config file not found (given by ${explicit.via})`],
        file,
        'Config file not found:',
      );
    }
    if (!isFile(file)) {
      throw new ConfigError(
        [`${file}: not a regular file (given by ${explicit.via})`],
        file,
        'Config file not readable:',
      );
    }
  } else {
    inspected = configCandidates(env, platform, homedir, cwd);
    file = inspected.find((p) => isFile(p));
    if (!file) {
      log('info', 'no config file found; inspected locations', { inspected });
      for (const p of inspected) log('info', `config not found at ${p}`);
      const bundled = opts.bundledPath ?? bundledConfigPath();
      if (!isFile(bundled)) {
        throw new ConfigError(
          [`${bundled}: bundled default config not found (and none of ${inspected.join(', ')} exists)`],
          bundled,
          'No config file:',
        );
      }
      const target = copyToFirstWritable(bundled, inspected, log);
      if (target) {
        file = target.path;
        created = target.created;
        if (created) log('info', `created config file ${file} from the bundled default`, { path: file, bundled });
      } else {
        file = bundled;
        log('warn', `no config location is writable; using the bundled default ${bundled} read-only`, { inspected });
      }
    }
  }

  const raw = parseYamlFile(file);
  const { config, warnings } = validateConfigWithWarnings(raw, {
    env,
    platform,
    homedir,
    source: file,
    overrides: opts.overrides,
  });
  for (const w of warnings) log('warn', w, { path: file });
  log('info', `loaded config ${file}`, { path: file, created });
  return { config, path: file, created, inspected, warnings };
}

/** Reads and parses a YAML file; syntax errors → ConfigError with `file:line:col: message` problems. */
export function parseYamlFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: cannot read (${(e as Error).message})`], file, 'Config file not readable:');
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file = '<config>'): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return `${file}:${pos ? `${pos.line}:${pos.col}` : '?'}: ${msg}`;
    });
    throw new ConfigError(problems, file, `YAML syntax error in ${file}:`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

function copyToFirstWritable(
  bundled: string,
  candidates: string[],
  log: ConfigLogFn,
): { path: string; created: boolean } | undefined {
  for (const target of candidates) {
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(bundled, target, fs.constants.COPYFILE_EXCL);
      return { path: target, created: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isFile(target)) return { path: target, created: false }; // another process won
      log('info', `cannot create config at ${target}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function nonBlank(v: string | undefined): v is string {
  return typeof v === 'string' && v.trim() !== '';
}
