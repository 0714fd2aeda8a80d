/*
 * Overload scenario (issue 12): one gateway instance with admission on, driven at 10x its admission budget.
 * Reports: p99 of admitted requests under overload vs the unloaded p99 (target: within 2x), the share answered
 * 429/202, the gateway's RSS before/after (target: flat), and the cost of one admission check (µs) with Redis
 * and with the in-memory limiter.
 * Run alone: `npm run build && node bench/overload.js`, or through `npm run bench` (BENCH_SCENARIOS=overload).
 * Env: BENCH_PG_URI (superuser URI), BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_OVERLOAD_BUDGET
 * (admitted req/s, default 200), BENCH_OVERLOAD_BURST (admission_burst_requests, default budget/10; 0 = a whole
 * window), BENCH_DURATION (s per phase, default 5).
 */
const http = require('node:http');
const { spawn } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const { rssMb } = require('./target');

const ADMIN_URI =
  process.env.BENCH_PG_URI || process.env.ATHENA_TEST_PG_URI || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL || process.env.ATHENA_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const BUDGET = Number(process.env.BENCH_OVERLOAD_BUDGET || 200);
/** `gateway.admission_burst_requests` of the gateway under test (BENCH_OVERLOAD_BURST; default a tenth of the budget). */
const BURST = Number(process.env.BENCH_OVERLOAD_BURST ?? Math.max(1, Math.round(BUDGET / 10)));
const DURATION = Number(process.env.BENCH_DURATION || 5);
const DB = `${(process.env.BENCH_DB || 'athena_bench').replace(/[^a-z0-9_]/g, '_')}_ovl`;
const dist = join(__dirname, '..', 'dist', 'apps', 'athena');

function withDb(uri, db) {
  const u = new URL(uri);
  u.pathname = `/${db}`;
  return u.toString();
}

function pct(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Open-loop load: `rate` requests/s for `secs`, latency recorded per status. */
async function drive(url, rate, secs, steadyAfterMs = 1000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ table_name: 'items', conditions: [{ eq_column: 'id', eq_value: 1 }] });
  const byStatus = new Map();
  const pending = new Set();
  const started = Date.now();
  const u = new URL(`${url}/gateway/fetch`);
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'x-athena-client': 'bench',
            'cache-control': 'no-store',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            if (!byStatus.has(res.statusCode)) byStatus.set(res.statusCode, []);
            byStatus.get(res.statusCode).push(ms);
            // Requests sent after the first window: the steady state, without the budget's initial burst.
            if (Date.now() - started >= steadyAfterMs) {
              const k = `${res.statusCode}_steady`;
              if (!byStatus.has(k)) byStatus.set(k, []);
              byStatus.get(k).push(ms);
            }
            resolve();
          });
        },
      );
      req.on('error', () => {
        if (!byStatus.has('error')) byStatus.set('error', []);
        byStatus.get('error').push(0);
        resolve();
      });
      req.end(body);
    });
  let sent = 0;
  while (Date.now() - started < secs * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent < due) {
      const p = one();
      pending.add(p);
      p.then(() => pending.delete(p));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  agent.destroy();
  const out = {};
  for (const [k, v] of byStatus) {
    v.sort((a, b) => a - b);
    out[k] = { n: v.length, p50_ms: Number(pct(v, 50).toFixed(2)), p99_ms: Number(pct(v, 99).toFixed(2)) };
  }
  return { sent, seconds: (Date.now() - started) / 1000, byStatus: out };
}

async function startGateway(controlUri, dataUri, redisUrl, budget) {
  const dir = mkdtempSync(join(tmpdir(), 'athena-ovl-'));
  const cfg = join(dir, 'config.yaml');
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    cfg,
    [
      `api: { host: 127.0.0.1, port: ${port} }`,
      'logging: { level: warn }',
      `gateway: { logging_pg_uri: "${controlUri}", pool: { max: 16 }, admission_limit_enabled: true, admission_global_requests_per_window: ${budget}, admission_window_secs: 1, admission_burst_requests: ${BURST}, admission_redis_key_prefix: "athena:bench:adm:${process.pid}:" }`,
      `postgres_clients: { bench: "${dataUri}" }`,
      'embedded: { enabled: false }',
      ...(redisUrl ? [`redis: { url: "${redisUrl}" }`] : []),
    ].join('\n'),
  );
  const child = spawn(process.execPath, [join(dist, 'apps/athena/src/cli.js'), 'server', '--config', cfg], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('gateway did not become ready');
}

/** µs per AdmissionService.check, sequential (latency) and 64 in flight (throughput), Redis and memory. */
async function checkCost(redisUrl) {
  const { AdmissionService } = require(join(dist, 'libs/admission/src'));
  const { MetricsService } = require(join(dist, 'libs/observability/src'));
  const pino = require('pino');
  const config = {
    redis: { url: redisUrl },
    gateway: {
      admission_limit_enabled: true,
      admission_global_requests_per_window: 1e9,
      admission_per_client_requests_per_window: 1e9,
      admission_window_secs: 60,
      admission_defer_on_limit_enabled: false,
      admission_defer_route_prefixes: [],
      admission_redis_key_prefix: `athena:bench:cost:${process.pid}:`,
    },
  };
  const svc = new AdmissionService(config, new MetricsService(), pino({ level: 'silent' }));
  if (redisUrl)
    for (let i = 0; i < 100 && svc.redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
  const req = { route: '/gateway/fetch', client: 'bench', inlineOnly: false };
  for (let i = 0; i < 2000; i++) await svc.check(req);
  const N = 20000;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await svc.check(req);
  const seq = Number(process.hrtime.bigint() - t0) / 1e3 / N;
  t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i += 64) await Promise.all(Array.from({ length: 64 }, () => svc.check(req)));
  const par = Number(process.hrtime.bigint() - t0) / 1e3 / N;
  const cpu = process.cpuUsage(cpu0);
  await svc.onModuleDestroy();
  return {
    store: redisUrl ? 'redis' : 'memory',
    sequential_us: Number(seq.toFixed(2)),
    in_flight_64_us: Number(par.toFixed(2)),
    cpu_us: Number(((cpu.user + cpu.system) / N).toFixed(2)),
    degraded: svc.isDegraded,
  };
}

async function runOverload() {
  const admin = new Client({ connectionString: ADMIN_URI });
  await admin.connect();
  for (const db of [DB, `${DB}_control`]) {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
  }
  await admin.end();
  const dataUri = withDb(ADMIN_URI, DB);
  const d = new Client({ connectionString: dataUri });
  await d.connect();
  await d.query(
    `CREATE TABLE items (id integer PRIMARY KEY, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 1000) g;`,
  );
  await d.end();

  const cost = [await checkCost(null), await checkCost(REDIS)];
  console.table(cost);
  const { child, url } = await startGateway(withDb(ADMIN_URI, `${DB}_control`), dataUri, REDIS, BUDGET);
  try {
    await drive(url, BUDGET / 2, 2); // warm-up
    const rss0 = rssMb(child.pid);
    const unloaded = await drive(url, BUDGET / 2, DURATION);
    const overload = await drive(url, BUDGET * 10, DURATION);
    const rss1 = rssMb(child.pid);
    const base = unloaded.byStatus[200];
    const adm = overload.byStatus[200];
    const summary = {
      budget_rps: BUDGET,
      burst: BURST,
      offered_rps: BUDGET * 10,
      seconds: DURATION,
      unloaded_p99_ms: base?.p99_ms,
      overload_admitted_p99_ms: adm?.p99_ms,
      p99_ratio: base && adm ? Number((adm.p99_ms / base.p99_ms).toFixed(2)) : null,
      // After the first window (the budget's initial burst of a full window is behind): steady overload.
      steady_admitted_p99_ms: overload.byStatus['200_steady']?.p99_ms,
      steady_p99_ratio:
        base && overload.byStatus['200_steady']
          ? Number((overload.byStatus['200_steady'].p99_ms / base.p99_ms).toFixed(2))
          : null,
      admitted: adm?.n ?? 0,
      rejected_429: overload.byStatus[429]?.n ?? 0,
      other: Object.entries(overload.byStatus)
        .filter(([k]) => k !== '200' && k !== '429' && !k.endsWith('_steady'))
        .map(([k, v]) => `${k}:${v.n}`)
        .join(' '),
      rejected_p99_ms: overload.byStatus[429]?.p99_ms,
      rss_before_mb: rss0,
      rss_after_mb: rss1,
    };
    console.table([summary]);
    return { cost, unloaded, overload, summary };
  } finally {
    child.kill('SIGTERM');
  }
}

module.exports = { runOverload };

if (require.main === module) {
  runOverload().then(
    (r) => {
      const dir = join(__dirname, 'results');
      require('node:fs').mkdirSync(dir, { recursive: true });
      const file = join(dir, `overload-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, ...r }, null, 2));
      console.log(`written ${file}`);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
