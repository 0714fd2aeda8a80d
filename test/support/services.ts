/**
 * Test services shared by the e2e specs (ARCHITECTURE §9).
 *
 * global-setup.ts makes PostgreSQL and Redis reachable and exports, through process.env:
 *   ATHENA_TEST_PG_URI     superuser URI (e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)
 *   ATHENA_TEST_REDIS_URL  e.g. redis://127.0.0.1:6379 ('' when unavailable outside CI)
 *   ATHENA_TEST_CASSANDRA_CONTACT  e.g. 127.0.0.1:41234, a single-node Cassandra 5 (cassandra.ts)
 *   ATHENA_TEST_CASSANDRA_PID      its process id when global-setup started it (for outage tests)
 *   ATHENA_TEST_S3_ENDPOINT        e.g. http://127.0.0.1:41235, a moto S3 server (s3.ts; any bucket, any credentials)
 * Under CI=true a missing service fails the run; otherwise specs that need it skip loudly.
 *
 *   import { requireService, createTestDatabase } from './support/services';
 *   const describeRedis = requireService('redis') ? describe : describe.skip;
 *   const db = await createTestDatabase('gateway');   // fresh database; await db.drop() in afterAll
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export type TestServiceName = 'postgres' | 'redis' | 'cassandra' | 's3';

export const SERVICE_ENV: Record<TestServiceName, string> = {
  postgres: 'ATHENA_TEST_PG_URI',
  redis: 'ATHENA_TEST_REDIS_URL',
  cassandra: 'ATHENA_TEST_CASSANDRA_CONTACT',
  s3: 'ATHENA_TEST_S3_ENDPOINT',
};

const SERVICE_LABEL: Record<TestServiceName, string> = {
  postgres: 'PostgreSQL',
  redis: 'Redis',
  cassandra: 'Cassandra',
  s3: 'S3 (moto server)',
};

export function isCI(): boolean {
  return process.env.CI === 'true';
}

/** The service's URI/URL from the environment, or null when it is unavailable. */
export function serviceUrl(name: TestServiceName): string | null {
  const v = process.env[SERVICE_ENV[name]];
  return v && v.trim() !== '' ? v.trim() : null;
}

export function loudNotice(lines: string[]): void {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!!! ${l}`).join('\n')}\n${bar}\n\n`);
}

/**
 * True when the service is available. When it is not: under CI throws (CI forbids skips);
 * otherwise prints a loud notice and returns false so the caller can skip.
 */
export function requireService(name: TestServiceName): boolean {
  if (serviceUrl(name)) return true;
  const what = SERVICE_LABEL[name];
  if (isCI()) {
    throw new Error(
      `${what} is required under CI but ${SERVICE_ENV[name]} is not set (test/support/global-setup.ts did not provide it)`,
    );
  }
  const where = (typeof expect !== 'undefined' ? expect.getState().testPath : undefined) ?? '(unknown spec)';
  loudNotice([
    `${what} unavailable: tests in ${where} that need ${what} will be SKIPPED.`,
    `Set ${SERVICE_ENV[name]} or start ${what} on 127.0.0.1 to run them.`,
  ]);
  return false;
}

/** `describe` when the service is available, `describe.skip` (with a loud notice) otherwise. */
export function describeWith(name: TestServiceName): jest.Describe {
  return requireService(name) ? describe : describe.skip;
}

export interface TestDatabase {
  /** Superuser URI to the new database. */
  uri: string;
  name: string;
  /** Drops the database (terminating its connections); idempotent. */
  drop(): Promise<void>;
}

function withDatabase(uri: string, db: string): string {
  const u = new URL(uri);
  u.pathname = `/${db}`;
  return u.toString();
}

async function adminQuery(uri: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: uri, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Creates a fresh, uniquely named database on the test PostgreSQL. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const admin = serviceUrl('postgres');
  if (!admin)
    throw new Error(
      'createTestDatabase: PostgreSQL unavailable (ATHENA_TEST_PG_URI is not set); guard the spec with requireService("postgres")',
    );
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .replace(/^([^a-z_])/, '_$1')
      .slice(0, 30) || 't';
  const name = `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(admin, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    name,
    uri: withDatabase(admin, name),
    async drop(): Promise<void> {
      if (dropped) return;
      dropped = true;
      await adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/* ---------- helpers used by global-setup (no Jest globals) ---------- */

export { freePort } from '../../libs/common/src/testing';

/** True when `uri` accepts a connection and `SELECT 1`; the error message otherwise. */
export async function probePostgres(uri: string, timeoutMs = 3000): Promise<true | string> {
  const c = new Client({ connectionString: uri, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** True when the Redis at `url` answers PING with PONG (AUTH from the URL is honoured); the error otherwise. */
export function probeRedis(url: string, timeoutMs = 2000): Promise<true | string> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(`invalid Redis URL: ${url}`);
      return;
    }
    const sock = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let buf = '';
    const done = (r: true | string): void => {
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    sock.on('error', (e) => {
      clearTimeout(timer);
      done(e.message);
    });
    sock.on('connect', () => {
      const auth = u.password
        ? `AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n`
        : '';
      sock.write(`${auth}PING\r\n`);
    });
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG')) {
        clearTimeout(timer);
        done(true);
      } else if (buf.includes('-')) {
        const err = /-(.*)\r\n/.exec(buf);
        if (err) {
          clearTimeout(timer);
          done(err[1]);
        }
      }
    });
  });
}

const tempDirs: string[] = [];

/**
 * A fresh directory under the OS temp dir, removed after the spec file that made it (test/support/cleanup.ts,
 * an afterAll hook in every e2e file), so the spec may read its files until its last test.
 */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory testTempDir() handed out so far. */
export function removeTestTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
