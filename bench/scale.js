/*
 * Scaling scenarios of issue 15, used by bench/run.js (scenarios "clients" and "rows"; after `npm run build`).
 *
 * clients — the built gateway started as its own process (`athena server`, with the node flags of `npm start`) with 1 and with 1,000 configured
 *   PostgreSQL clients (same database, pools lazy): boot time (spawn → /ready answers 200), RSS after boot and
 *   after a load run, and the per-request cost of an uncached single-row fetch on one of them (req/s, p99, CPU µs).
 * rows — fetches of 1 / 100 / 10,000 rows (gateway vs floor, 1 connection): service time per request and µs per
 *   row beyond the first ((t(N) − t(1)) / (N − 1)).
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { START_FLAGS, cpuUs, post, rssMb } = require('./target');

const load = (url, client, body, connections, duration, headers = {}) =>
  post({ url, client, body, connections, duration, headers });

const dist = join(__dirname, '..', 'dist', 'apps', 'athena');

async function startGateway(controlUri, dataUri, clients) {
  const dir = mkdtempSync(join(tmpdir(), 'athena-scale-'));
  const cfg = join(dir, 'config.yaml');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const names = Array.from({ length: clients }, (_, i) => `bench_${i}`);
  writeFileSync(
    cfg,
    [
      `api: { host: 127.0.0.1, port: ${port} }`,
      'logging: { level: warn }',
      `gateway: { logging_pg_uri: "${controlUri}", pool: { max: 16 } }`,
      'postgres_clients:',
      ...names.map((n) => `  ${n}: "${dataUri}"`),
      'embedded: { enabled: false }',
    ].join('\n'),
  );
  const t0 = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [...START_FLAGS, join(dist, 'apps/athena/src/cli.js'), 'server', '--config', cfg],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      const bootMs = Number(process.hrtime.bigint() - t0) / 1e6;
      return { child, url, bootMs, names, dir };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway with ${clients} clients did not become ready`);
}

async function stop(g) {
  const exited = new Promise((r) => g.child.once('exit', r));
  g.child.kill('SIGTERM');
  await exited;
  rmSync(g.dir, { recursive: true, force: true });
}

/** Boot time, RSS and per-request cost with 1 and with `many` configured clients. */
async function runClients({ controlUri, dataUri, duration, randomId, many = 1000 }) {
  const out = [];
  for (const n of [1, many]) {
    const g = await startGateway(controlUri, dataUri, n);
    try {
      const rssBoot = rssMb(g.child.pid);
      const client = g.names[Math.floor(n / 2)];
      const headers = { 'cache-control': 'no-store' };
      await load(`${g.url}/gateway/fetch`, client, randomId, 16, 2, headers); // warm-up
      const c0 = cpuUs(g.child.pid);
      const r = await load(`${g.url}/gateway/fetch`, client, randomId, 16, duration, headers);
      const c1 = cpuUs(g.child.pid);
      if (r.non2xx || r.errors) throw new Error(`clients=${n}: ${r.non2xx} non-2xx / ${r.errors} errors`);
      out.push({
        configured_clients: n,
        boot_ms: Math.round(g.bootMs),
        rss_after_boot_mb: rssBoot,
        rss_after_load_mb: rssMb(g.child.pid),
        rps_16_conns: Math.round(r.requests.average),
        p99_ms: r.latency.p99,
        node_us_per_request: c0 === null ? null : Math.round((c1 - c0) / (r.requests.total || 1)),
      });
    } finally {
      await stop(g);
    }
  }
  return out;
}

/** Service time per request for 1 / 100 / 10,000 rows, gateway and floor, at one connection. */
async function runRows({ targets, duration }) {
  const rows = [];
  for (const n of [1, 100, 10000]) {
    const body = { table_name: 'bench_items', limit: n, sort_by: { field: 'id' } };
    const gwUrl = `${targets.gateway}/gateway/fetch`;
    const flUrl = `${targets.floor}/floor/rows`;
    const headers = { 'cache-control': 'no-store' };
    await load(gwUrl, 'bench', body, 1, 1, headers);
    await load(flUrl, 'bench', body, 1, 1);
    const g = await load(gwUrl, 'bench', body, 1, duration, headers);
    const f = await load(flUrl, 'bench', body, 1, duration);
    if (g.non2xx || g.errors) throw new Error(`rows=${n}: gateway answered ${g.non2xx} non-2xx / ${g.errors} errors`);
    rows.push({ rows: n, gateway_us: 1e6 / g.requests.average, floor_us: 1e6 / f.requests.average });
  }
  const base = rows[0];
  return rows.map((r) => ({
    rows: r.rows,
    gateway_us_per_request: Math.round(r.gateway_us),
    floor_us_per_request: Math.round(r.floor_us),
    gateway_us_per_extra_row:
      r.rows === 1 ? null : Number(((r.gateway_us - base.gateway_us) / (r.rows - 1)).toFixed(2)),
    floor_us_per_extra_row: r.rows === 1 ? null : Number(((r.floor_us - base.floor_us) / (r.rows - 1)).toFixed(2)),
  }));
}

module.exports = { runClients, runRows };
