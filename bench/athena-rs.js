/*
 * Side by side with the Rust reference gateway athena_rs 2.12.1 (issue 15), driven with the same requests on the
 * same data database as our gateway. Used by bench/run.js (scenario "athena_rs"); skipped with a notice when the
 * binary is absent. Build it once, outside the repo:
 *   cargo install athena_rs --version 2.12.1 --locked --root /var/tmp/athena-rs
 * Env: ATHENA_RS_BIN (default /var/tmp/athena-rs/bin/athena_rs), ATHENA_RS_PROVISION_SQL (default: the crate's
 * sql/provision.sql in the cargo registry). Configured as ../shared/reference/athena-rs-local.md says, so that it
 * never reaches outside the machine: Sentry off, ScyllaDB pinned to a closed local port, no pg-tools download,
 * XDG_CONFIG_HOME in a temp dir; its /health/cluster is never called.
 */
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { homedir, tmpdir } = require('node:os');
const { join } = require('node:path');
const net = require('node:net');
const { Client } = require('pg');

const BIN = process.env.ATHENA_RS_BIN || '/var/tmp/athena-rs/bin/athena_rs';

function provisionSql() {
  if (process.env.ATHENA_RS_PROVISION_SQL) return process.env.ATHENA_RS_PROVISION_SQL;
  const reg = join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'registry', 'src');
  if (!existsSync(reg)) return null;
  for (const idx of readdirSync(reg)) {
    const f = join(reg, idx, 'athena_rs-2.12.1', 'sql', 'provision.sql');
    if (existsSync(f)) return f;
  }
  return null;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** Why athena_rs cannot run here, or null. */
function unavailable() {
  if (!existsSync(BIN))
    return `athena_rs binary not found at ${BIN} (set ATHENA_RS_BIN, or build it: see bench/README.md)`;
  if (!provisionSql()) return 'athena_rs 2.12.1 sql/provision.sql not found (set ATHENA_RS_PROVISION_SQL)';
  return null;
}

/**
 * Starts athena_rs on the data database `dataUri`, with its own logging database `controlUri` (created empty by
 * the caller) provisioned from the crate's SQL. Returns { url, stop() }.
 */
async function startAthenaRs({ dataUri, controlUri, poolMax }) {
  const cp = new Client({ connectionString: controlUri });
  await cp.connect();
  await cp.query(readFileSync(provisionSql(), 'utf8'));
  await cp.end();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'athena-rs-'));
  const config = readFileSync(join(__dirname, 'athena-rs.config.yaml'), 'utf8')
    .replaceAll('__PORT__', String(port))
    .replaceAll('__DATA_URI__', dataUri);
  const cfgFile = join(dir, 'config.yaml');
  writeFileSync(cfgFile, config);
  // Its ScyllaDB driver re-reads config from the default search path on some calls: give it the same file there.
  mkdirSync(join(dir, 'xdg', 'athena'), { recursive: true });
  writeFileSync(join(dir, 'xdg', 'athena', 'config.yaml'), config);
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'xdg'),
    SENTRY_DSN: '',
    POSTGRES_ATHENA_LOGGING_URI: controlUri,
    ATHENA_KEY_12: `bench-rs-${process.pid}`,
    ATHENA_PG_POOL_MAX_CONNECTIONS: String(poolMax),
    ATHENA_PG_DUMP_PATH: '/usr/bin/pg_dump',
    ATHENA_PG_RESTORE_PATH: '/usr/bin/pg_restore',
    ATHENA_PG_TOOLS_ALLOW_DOWNLOAD: '0',
    RUST_LOG: process.env.RUST_LOG || 'error',
  };
  const child = spawn(BIN, ['--config', cfgFile, '--port', String(port), '--api-only'], {
    cwd: dir,
    env,
    stdio: [
      'ignore',
      process.env.ATHENA_RS_DEBUG ? 'inherit' : 'ignore',
      process.env.ATHENA_RS_DEBUG ? 'inherit' : 'pipe',
    ],
  });
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`athena_rs exited with ${child.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`athena_rs did not answer /ping within 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startAthenaRs, unavailable, BIN };
