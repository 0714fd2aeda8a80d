/**
 * raw parsed YAML → `AthenaConfig`: env interpolation of string scalars, env fallbacks, `--port` override,
 * schema validation with every problem reported at once, derived defaults (`auth_client` ← `logging_client`).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { ZodIssue } from 'zod';
import type { AthenaConfig } from './config.types';
import { ConfigError } from './config-error';
import { interpolateTree } from './interpolate';
import { athenaDataDir, type EnvLike } from './paths';
import { buildConfigSchema, isBlank, KNOWN_SECTIONS, SEED_SECTIONS } from './schema';

export interface ValidateOptions {
  /** Environment for `${VAR}` tokens and env fallbacks. Default `process.env`. */
  env?: EnvLike;
  /** For the data-dir based defaults. Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** For the data-dir based defaults. Default `os.homedir()`. */
  homedir?: string;
  /** File the tree came from (named in the ConfigError summary). */
  source?: string;
  /** Command-line overrides, validated like the file value they replace. */
  overrides?: { port?: number | string };
  /** Interpolate `${VAR}` tokens (default true). Pass false when the tree was already interpolated. */
  interpolate?: boolean;
}

export interface ValidationResult {
  config: AthenaConfig;
  /** Non-fatal findings (unset env vars, dropped clients, unknown sections, …), one line each. */
  warnings: string[];
}

/** Env fallbacks: applied when the file leaves the key empty and the variable is set and non-empty. */
export const ENV_FALLBACKS: ReadonlyArray<{ section: string; key: string; env: string }> = [
  { section: 'gateway', key: 'logging_pg_uri', env: 'POSTGRES_ATHENA_LOGGING_URI' },
  { section: 'gateway', key: 'logging_client', env: 'ATHENA_GATEWAY_LOGGING_CLIENT' },
  { section: 'redis', key: 'url', env: 'REDIS_URL' },
  { section: 'logging', key: 'level', env: 'ATHENA_LOG_LEVEL' },
  { section: 'backup', key: 'bucket', env: 'ATHENA_BACKUP_S3_BUCKET' },
  { section: 'backup', key: 'prefix', env: 'ATHENA_BACKUP_S3_PREFIX' },
  { section: 'backup', key: 'endpoint', env: 'ATHENA_BACKUP_S3_ENDPOINT' },
  { section: 'backup', key: 'region', env: 'ATHENA_BACKUP_S3_REGION' },
  { section: 'backup', key: 'force_path_style', env: 'ATHENA_BACKUP_S3_FORCE_PATH_STYLE' },
];

/** Validates and returns the config; throws `ConfigError` listing every problem. Warnings are dropped. */
export function validateConfig(raw: unknown, opts: ValidateOptions = {}): AthenaConfig {
  return validateConfigWithWarnings(raw, opts).config;
}

/** Like `validateConfig`, also returning the warnings (the loader logs them). */
export function validateConfigWithWarnings(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const homedir = opts.homedir ?? os.homedir();
  const warnings: string[] = [];

  // 1. Interpolate string scalars of the parsed tree.
  let tree: unknown = raw ?? {};
  const emptyFromEnv = new Map<string, string[]>(); // path → unset variable names used there
  if (opts.interpolate !== false) {
    const r = interpolateTree(tree, env);
    tree = r.value;
    for (const m of r.missing) {
      const key = formatPath(m.path);
      emptyFromEnv.set(key, [...(emptyFromEnv.get(key) ?? []), m.name]);
    }
    for (const inv of r.invalid) {
      warnings.push(
        `${formatPath(inv.path)}: ${JSON.stringify(inv.token)} is not a valid \${VAR} reference; kept as written`,
      );
    }
  }

  if (!isMap(tree)) {
    throw new ConfigError([`(root): expected map of sections, got ${show(tree)}`], opts.source);
  }
  const root: Record<string, unknown> = { ...tree };
  const sources = new Map<string, string>(); // path → where a value came from other than the file

  // 2. Env fallbacks and overrides (only into sections that are maps or absent; a bad section fails below).
  for (const fb of ENV_FALLBACKS) {
    const val = env[fb.env];
    if (isBlank(val)) continue;
    const sec = ensureSection(root, fb.section);
    if (sec && isBlank(sec[fb.key])) {
      sec[fb.key] = val;
      sources.set(`${fb.section}.${fb.key}`, `env ${fb.env}`);
    }
  }
  if (opts.overrides?.port !== undefined) {
    const api = ensureSection(root, 'api');
    if (api) {
      api.port = opts.overrides.port;
      sources.set('api.port', '--port');
    } else {
      // api is not a map; still check the override on its own so both problems are reported
      root.api = { port: opts.overrides.port };
    }
  }

  // 3. Drop blank postgres_clients URIs (client disabled, server still boots).
  if (isMap(root.postgres_clients)) {
    const clients = { ...root.postgres_clients };
    for (const [name, decl] of Object.entries(clients)) {
      const uri = isMap(decl) ? decl.uri : decl;
      if (!isBlank(uri)) continue;
      const p = formatPath(isMap(decl) ? ['postgres_clients', name, 'uri'] : ['postgres_clients', name]);
      const vars = emptyFromEnv.get(p);
      emptyFromEnv.delete(p);
      const why = vars?.length ? `environment variable ${vars.join(', ')} is not set` : 'no URI given';
      warnings.push(`${p}: URI is empty (${why}); client "${name}" is disabled`);
      delete clients[name];
    }
    root.postgres_clients = clients;
  }
  // 3b. Drop supabase_clients whose url or key is blank (client disabled, server still boots).
  if (isMap(root.supabase_clients)) {
    const clients = { ...root.supabase_clients };
    for (const [name, decl] of Object.entries(clients)) {
      if (!isMap(decl)) continue;
      const blank = (['url', 'key'] as const).filter((k) => isBlank(decl[k]));
      if (blank.length === 0) continue;
      const vars = blank.flatMap((k) => {
        const p = formatPath(['supabase_clients', name, k]);
        const v = emptyFromEnv.get(p) ?? [];
        emptyFromEnv.delete(p);
        return v;
      });
      const why = vars.length ? `environment variable ${vars.join(', ')} is not set` : `no ${blank.join(' / ')} given`;
      warnings.push(`supabase_clients.${name}: ${blank.join(' and ')} empty (${why}); client "${name}" is disabled`);
      delete clients[name];
    }
    root.supabase_clients = clients;
  }
  for (const [p, vars] of emptyFromEnv) {
    for (const v of vars) warnings.push(`${p}: environment variable ${v} is not set; substituted an empty string`);
  }

  // 4. Unknown top-level sections: kept in `extra`, warned about.
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(root)) {
    if ((KNOWN_SECTIONS as readonly string[]).includes(key)) continue;
    extra[key] = root[key];
    if ((SEED_SECTIONS as readonly string[]).includes(key)) {
      warnings.push(`${key}: section is not used by this version yet; kept unvalidated in config.extra`);
    } else {
      const guess = closest(key, [...KNOWN_SECTIONS, ...SEED_SECTIONS]);
      warnings.push(
        `${key}: unknown top-level section ignored${guess ? ` (did you mean "${guess}"?)` : ''}; known: ${KNOWN_SECTIONS.join(', ')}`,
      );
    }
  }

  // 5. Schema.
  const dataDir = athenaDataDir(env, platform, homedir);
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const schema = buildConfigSchema({ dataDir, join });
  const parsed = schema.safeParse(root);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => formatIssue(i, root, sources));
    throw new ConfigError(problems, opts.source);
  }
  const {
    api,
    gateway,
    postgres_clients: pgDecls,
    scylla_clients,
    supabase_clients,
    logging,
    redis,
    backup,
    embedded,
  } = parsed.data;
  const postgres_clients: Record<string, string> = {};
  const postgres_client_options: Record<string, { read_only: boolean }> = {};
  for (const [name, d] of Object.entries(pgDecls)) {
    postgres_clients[name] = d.uri;
    if (d.read_only) postgres_client_options[name] = { read_only: true };
  }

  // 6. Derived values and cross-checks.
  if (gateway.auth_client === null) gateway.auth_client = gateway.logging_client;
  if (gateway.logging_client && !gateway.logging_pg_uri && !(gateway.logging_client in postgres_clients)) {
    warnings.push(
      `gateway.logging_client: "${gateway.logging_client}" is not in postgres_clients and gateway.logging_pg_uri is empty; the control plane falls back to the embedded default`,
    );
  }

  for (const [name, c] of Object.entries(scylla_clients)) {
    if (c.contact_points.length === 0)
      warnings.push(
        `scylla_clients.${name}.contact_points: empty; client "${name}" is disabled (503 client_unconfigured)`,
      );
  }
  const clashes = clientNameClashes(root);
  if (clashes.length > 0) throw new ConfigError(clashes, opts.source);
  const config: AthenaConfig = { api, gateway, postgres_clients, scylla_clients, logging, redis, backup, embedded };
  if (Object.keys(postgres_client_options).length > 0) config.postgres_client_options = postgres_client_options;
  if (Object.keys(supabase_clients).length > 0) config.supabase_clients = supabase_clients;
  if (Object.keys(extra).length > 0) config.extra = extra;
  return { config, warnings };
}

// ---------------------------------------------------------------------------------------------------------------

const CLIENT_SECTIONS = ['postgres_clients', 'scylla_clients', 'supabase_clients'] as const;

/**
 * The catalog lowercases client names, so two declarations whose names differ only in case (in one section or
 * across postgres_clients / scylla_clients / supabase_clients) would silently replace one another.
 */
function clientNameClashes(root: Record<string, unknown>): string[] {
  const seen = new Map<string, string>(); // lowercased name → first key path
  const problems: string[] = [];
  for (const section of CLIENT_SECTIONS) {
    const sec = root[section];
    if (!isMap(sec)) continue;
    for (const name of Object.keys(sec)) {
      const key = formatPath([section, name]);
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), key);
      else
        problems.push(
          `${key}: expected a client name not used elsewhere (names are case-insensitive), but ${first} has the same name; rename one of them`,
        );
    }
  }
  return problems;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns a (copied) section map to write into, creating it when absent; undefined when it is not a map. */
function ensureSection(root: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const cur = root[name];
  if (cur === undefined || cur === null) return (root[name] = {}) as Record<string, unknown>;
  if (!isMap(cur)) return undefined;
  const copy = { ...cur };
  root[name] = copy;
  return copy;
}

/** `['api', 'cors', 'origins', 1]` → `api.cors.origins[1]`; odd keys are quoted: `postgres_clients["a b"]`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function getAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Credentials in URIs are masked: `postgres://u:secret@h` → `postgres://u:***@h`. */
export function redact(s: string): string {
  return s.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:\s]*:)[^@\s]*@/, '$1***@');
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' ? redact(x) : x)) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function formatIssue(issue: ZodIssue, root: unknown, sources: Map<string, string>): string[] {
  const p = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key (allowed: ${issue.message})`);
  }
  const params = issue.code === 'custom' ? (issue.params as { got?: unknown } | undefined) : undefined;
  const got = params && 'got' in params ? params.got : getAt(root, issue.path);
  const from = sources.get(p);
  return [`${p || '(root)'}: expected ${issue.message}, got ${show(got)}${from ? ` (from ${from})` : ''}`];
}

/** The closest candidate within edit distance 2, for "did you mean" hints. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}
