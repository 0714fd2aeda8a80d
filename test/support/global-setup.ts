/**
 * Jest globalSetup of the e2e project: makes PostgreSQL and Redis reachable and exports
 * ATHENA_TEST_PG_URI / ATHENA_TEST_REDIS_URL (see services.ts).
 *
 * Sources, in order: variables already set (by .ci/run) → the default local ports
 * (127.0.0.1:5432 with postgres/postgres, 127.0.0.1:6379) → PostgreSQL: the embedded one in a temp
 * dir on a free port; Redis: a `redis-server` binary on a free port in a temp dir. CI=true turns a
 * missing service into a hard failure; otherwise it is announced loudly and its tests skip.
 *
 * Cassandra: ATHENA_TEST_CASSANDRA_CONTACT when set and answering, otherwise a single-node Cassandra from Maven
 * Central artifacts (see cassandra.ts), started once here and stopped by global-teardown. Exports
 * ATHENA_TEST_CASSANDRA_CONTACT (host:port) and, when started here, ATHENA_TEST_CASSANDRA_PID.
 *
 * S3: ATHENA_TEST_S3_ENDPOINT when set and answering, otherwise a moto server (s3.ts) on a free port.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../libs/store/src/embedded/embedded-postgres';
import { portAnswers, startCassandra } from './cassandra';
import { resolveS3 } from './s3';
import { freePort, isCI, loudNotice, probePostgres, probeRedis } from './services';

export interface StartedTestServices {
  stops: Array<{ name: string; stop: () => Promise<void> }>;
}

const GLOBAL_KEY = '__ATHENA_TEST_SERVICES__';

function state(): StartedTestServices {
  const g = globalThis as unknown as Record<string, StartedTestServices | undefined>;
  if (!g[GLOBAL_KEY]) g[GLOBAL_KEY] = { stops: [] };
  return g[GLOBAL_KEY]!;
}

function say(msg: string): void {
  process.stderr.write(`[test-services] ${msg}\n`);
}

function redact(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return uri;
  }
}

async function resolvePostgres(): Promise<string | null> {
  const fromEnv = process.env.ATHENA_TEST_PG_URI?.trim();
  if (fromEnv) {
    const ok = await probePostgres(fromEnv, 5000);
    if (ok === true) {
      say(`PostgreSQL: using ATHENA_TEST_PG_URI (${redact(fromEnv)})`);
      return fromEnv;
    }
    if (isCI()) throw new Error(`ATHENA_TEST_PG_URI is set (${redact(fromEnv)}) but PostgreSQL does not answer: ${ok}`);
    say(`PostgreSQL: ATHENA_TEST_PG_URI (${redact(fromEnv)}) does not answer (${ok}); trying other sources`);
  }
  const local = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  const okLocal = await probePostgres(local, 2000);
  if (okLocal === true) {
    say(`PostgreSQL: using the local server (${redact(local)})`);
    return local;
  }
  say(`PostgreSQL: nothing usable on 127.0.0.1:5432 (${okLocal}); starting the embedded PostgreSQL`);
  try {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-test-pg-'));
    fs.chmodSync(base, 0o755);
    const port = await freePort();
    const handle = await startEmbeddedPostgres({
      dataDir: path.join(base, 'pg'),
      port,
      log: (level, msg) => {
        if (level !== 'info' || /ready/.test(msg)) say(`embedded PostgreSQL [${level}] ${msg}`);
      },
    });
    state().stops.push({
      name: 'embedded PostgreSQL',
      stop: async () => {
        await handle.stop();
        fs.rmSync(base, { recursive: true, force: true });
      },
    });
    return handle.uri;
  } catch (e) {
    if (isCI())
      throw new Error(
        `PostgreSQL is missing under CI: no ATHENA_TEST_PG_URI, nothing on 127.0.0.1:5432, and the embedded PostgreSQL failed: ${(e as Error).message}`,
      );
    say(`embedded PostgreSQL failed: ${(e as Error).message}`);
    return null;
  }
}

function findOnPath(bin: string): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

async function startRedisServer(bin: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-test-redis-'));
  const port = await freePort();
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: false,
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if ((await probeRedis(url, 500)) === true) break;
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not come up on port ${port}${stderr ? `: ${stderr.trim()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  state().stops.push({
    name: 'redis-server',
    stop: async () => {
      if (!exited) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
  return url;
}

async function resolveRedis(): Promise<string | null> {
  const fromEnv = process.env.ATHENA_TEST_REDIS_URL?.trim();
  if (fromEnv) {
    const ok = await probeRedis(fromEnv, 3000);
    if (ok === true) {
      say(`Redis: using ATHENA_TEST_REDIS_URL (${redact(fromEnv)})`);
      return fromEnv;
    }
    if (isCI())
      throw new Error(`ATHENA_TEST_REDIS_URL is set (${redact(fromEnv)}) but Redis does not answer PING: ${ok}`);
    say(`Redis: ATHENA_TEST_REDIS_URL (${redact(fromEnv)}) does not answer (${ok}); trying other sources`);
  }
  const local = 'redis://127.0.0.1:6379';
  const okLocal = await probeRedis(local, 1000);
  if (okLocal === true) {
    say(`Redis: using the local server (${local})`);
    return local;
  }
  const bin = findOnPath('redis-server');
  if (!bin) {
    if (isCI())
      throw new Error(
        'Redis is missing under CI: no ATHENA_TEST_REDIS_URL, nothing answering on 127.0.0.1:6379, and no redis-server binary on PATH',
      );
    return null;
  }
  try {
    const url = await startRedisServer(bin);
    say(`Redis: started ${bin} (${url})`);
    return url;
  } catch (e) {
    if (isCI()) throw new Error(`Redis is missing under CI: starting redis-server failed: ${(e as Error).message}`);
    say(`Redis: starting redis-server failed: ${(e as Error).message}`);
    return null;
  }
}

async function resolveCassandra(): Promise<{ contact: string; pid: number | null } | null> {
  const fromEnv = process.env.ATHENA_TEST_CASSANDRA_CONTACT?.trim();
  if (fromEnv) {
    const [host, port] = fromEnv.split(':');
    if (await portAnswers(Number(port || 9042), host || '127.0.0.1', 3000)) {
      say(`Cassandra: using ATHENA_TEST_CASSANDRA_CONTACT (${fromEnv})`);
      const pid = Number(process.env.ATHENA_TEST_CASSANDRA_PID);
      return { contact: fromEnv, pid: Number.isInteger(pid) && pid > 0 ? pid : null };
    }
    if (isCI()) throw new Error(`ATHENA_TEST_CASSANDRA_CONTACT is set (${fromEnv}) but nothing answers there`);
    say(`Cassandra: ATHENA_TEST_CASSANDRA_CONTACT (${fromEnv}) does not answer; starting one`);
  }
  try {
    const c = await startCassandra({ log: say });
    state().stops.push({ name: 'Cassandra', stop: c.stop });
    return { contact: c.contact, pid: c.pid };
  } catch (e) {
    if (isCI()) throw new Error(`Cassandra is missing under CI: ${(e as Error).message}`);
    say(`Cassandra: could not start one: ${(e as Error).message}`);
    return null;
  }
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  try {
    // allSettled: when one source throws (CI), the other must have finished before we clean up.
    const s3Started = resolveS3(say, isCI()).then((s) => {
      if (s?.stop) state().stops.push({ name: 'moto S3 server', stop: s.stop });
      return s;
    });
    const settled = await Promise.allSettled([resolvePostgres(), resolveRedis(), resolveCassandra(), s3Started]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [pg, redis] = settled.slice(0, 2).map((r) => (r as PromiseFulfilledResult<string | null>).value);
    const cassandra = (settled[2] as PromiseFulfilledResult<{ contact: string; pid: number | null } | null>).value;
    process.env.ATHENA_TEST_PG_URI = pg ?? '';
    process.env.ATHENA_TEST_REDIS_URL = redis ?? '';
    process.env.ATHENA_TEST_CASSANDRA_CONTACT = cassandra?.contact ?? '';
    process.env.ATHENA_TEST_CASSANDRA_PID = cassandra?.pid ? String(cassandra.pid) : '';
    const s3 = (settled[3] as PromiseFulfilledResult<{ endpoint: string } | null>).value;
    process.env.ATHENA_TEST_S3_ENDPOINT = s3?.endpoint ?? '';
    if (!s3) {
      loudNotice([
        'S3 (moto server) unavailable: tests that need S3 will be SKIPPED.',
        "Install it with pip install 'moto[server]' (see .ci/run) or set ATHENA_TEST_S3_ENDPOINT to an S3-compatible endpoint.",
      ]);
    }
    if (!cassandra) {
      loudNotice([
        'Cassandra unavailable: tests that need Cassandra will be SKIPPED.',
        'Install Java 17+ and Maven (apt-get install openjdk-17-jdk-headless maven) or set ATHENA_TEST_CASSANDRA_CONTACT=host:port.',
      ]);
    }
    if (!pg) {
      loudNotice([
        'PostgreSQL unavailable: tests that need PostgreSQL will be SKIPPED.',
        'Set ATHENA_TEST_PG_URI, run PostgreSQL on 127.0.0.1:5432 (postgres/postgres), or fix the embedded PostgreSQL (see above).',
      ]);
    }
    if (!redis) {
      loudNotice([
        'Redis unavailable: tests that need Redis will be SKIPPED.',
        'Set ATHENA_TEST_REDIS_URL, run Redis on 127.0.0.1:6379, or install redis-server (apt-get install redis-server).',
      ]);
    }
    say(`services ready in ${Date.now() - t0} ms`);
  } catch (e) {
    // Do not leave half-started services behind when setup fails.
    for (const s of state().stops.reverse()) await s.stop().catch(() => undefined);
    state().stops.length = 0;
    throw e;
  }
}
