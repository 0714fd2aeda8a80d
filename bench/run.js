/*
 * npm run bench — load benchmark of the gateway against its floor (see bench/server.js).
 * Scenarios: POST /gateway/fetch of one row by primary key and of 100 rows, at 1, 16 and 64 connections.
 * Plus the single-row fetch answered by the response cache (BENCH_REDIS_URL adds the Redis tier), and the
 * admission overload scenario (bench/overload.js; BENCH_SCENARIOS=overload runs it alone).
 * Needs a PostgreSQL: BENCH_PG_URI (superuser URI; default ATHENA_TEST_PG_URI or postgres://postgres:postgres@127.0.0.1:5432/postgres).
 * Results: a table on stdout and bench/results/<timestamp>.json. BENCH_DURATION (s, default 5) per run.
 */
const { mkdirSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Client } = require('pg');
const { runClients, runRows } = require('./scale');
const { cpuUs, post, startTarget } = require('./target');

const ADMIN_URI =
  process.env.BENCH_PG_URI || process.env.ATHENA_TEST_PG_URI || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const DURATION = Number(process.env.BENCH_DURATION || 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS || '1,16,64').split(',').map(Number);
/** Optional comma-separated substrings: run only the scenarios whose name contains one of them. */
const ONLY = (process.env.BENCH_SCENARIOS || '')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
/** Database name prefix (BENCH_DB), so parallel bench runs on one server do not drop each other's databases. */
const DB = (process.env.BENCH_DB || 'athena_bench').replace(/[^a-z0-9_]/g, '_');
const AUTH_ROUNDS = Number(process.env.BENCH_AUTH_ROUNDS || 3);
/** Alternating gateway/floor runs per scenario and connection count (medians reported). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 3));

/** Median over rounds of a[i] req/s ÷ b[i] req/s. */
function pairedRatio(a, b) {
  const r = a.map((x, i) => x.requests.average / b[i].requests.average).sort((x, y) => x - y);
  return Number(r[Math.floor(r.length / 2)].toFixed(3));
}

/** The per-field median of several autocannon runs (req/s, latency percentiles, CPU per request). */
function medianRun(runs) {
  const med = (f) => {
    const v = runs
      .map(f)
      .filter((x) => typeof x === 'number')
      .sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  };
  return {
    requests: { average: med((r) => r.requests.average) },
    latency: { p50: med((r) => r.latency.p50), p99: med((r) => r.latency.p99) },
    cpu: {
      node_us: med((r) => r.cpu.node_us),
      pg_us: med((r) => r.cpu.pg_us),
      loadgen_us: med((r) => r.cpu.loadgen_us),
    },
  };
}
/** True when the named extra scenario group runs (all of them when BENCH_SCENARIOS is unset). */
const wants = (group) => ONLY.length === 0 || ONLY.some((o) => group.includes(o));
const ADMIN_KEY = `bench-admin-${process.pid}-${Date.now()}`;

function withDb(uri, db) {
  const u = new URL(uri);
  u.pathname = `/${db}`;
  return u.toString();
}

async function prepare() {
  const admin = new Client({ connectionString: ADMIN_URI });
  await admin.connect();
  for (const db of [DB, `${DB}_control`]) {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
  }
  await admin.end();
  const data = new Client({ connectionString: withDb(ADMIN_URI, DB) });
  await data.connect();
  await data.query(`CREATE TABLE bench_items (id integer PRIMARY KEY, name text NOT NULL, qty integer, price numeric(10,2), created_at timestamptz NOT NULL DEFAULT now(), tags text[]);
    INSERT INTO bench_items SELECT g, 'item-' || g, g % 97, (g % 1000) / 10.0, now() - g * interval '1 minute', ARRAY['a', 'b'] FROM generate_series(1, 10000) g;
    ANALYZE bench_items;`);
  await data.end();
  return { pg: withDb(ADMIN_URI, DB), control: withDb(ADMIN_URI, `${DB}_control`) };
}

/** The same, summed over every local PostgreSQL server process (data and control plane share the server here). */
function postgresCpuUs() {
  let total = 0;
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let comm;
      try {
        comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm === 'postgres') total += cpuUs(d) ?? 0;
    }
  } catch {
    return null;
  }
  return total;
}

/** Runs `fn` (one autocannon run) and adds CPU µs per request of the target process and of PostgreSQL. */
async function withCpu(pid, fn) {
  const n0 = cpuUs(pid);
  const p0 = postgresCpuUs();
  const l0 = process.cpuUsage();
  const r = await fn();
  const l = process.cpuUsage(l0);
  const n1 = cpuUs(pid);
  const p1 = postgresCpuUs();
  const reqs = r.requests.total || 1;
  r.cpu = {
    // autocannon runs in this process: the load generator's own CPU per request, on the same cores.
    loadgen_us: Math.round((l.user + l.system) / reqs),
    node_us: n0 === null || n1 === null ? null : Math.round((n1 - n0) / reqs),
    pg_us: p0 === null || p1 === null ? null : Math.round((p1 - p0) / reqs),
  };
  return r;
}

const run = (url, body, connections, extraHeaders = {}) =>
  post({ url, body, connections, duration: DURATION, headers: extraHeaders });

const randomId = () => ({
  table_name: 'bench_items',
  conditions: [{ eq_column: 'id', eq_value: 1 + Math.floor(Math.random() * 10000) }],
});

/** Creates a right, a key holding it, and turns enforcement on for client bench_auth only; returns the key. */
async function setupApiKey(gateway) {
  const admin = async (method, path, body) => {
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-athena-admin-key': ADMIN_KEY },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  await admin('POST', '/admin/api-key-rights', { name: 'bench_items.read' });
  const created = await admin('POST', '/admin/api-keys', {
    name: 'bench',
    rights: ['bench_items.read'],
    client_name: 'bench_auth',
  });
  await admin('PUT', '/admin/api-key-clients/bench_auth', { enforce_api_keys: true });
  const denied = await fetch(`${gateway}/gateway/fetch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-athena-client': 'bench_auth' },
    body: JSON.stringify(randomId()),
  });
  if (denied.status !== 401) throw new Error(`enforcement is not on for bench_auth (got ${denied.status})`);
  return created.api_key;
}

/**
 * Our gateway and athena_rs 2.12.1 (bench/athena-rs.js) on the same data database, same requests, back to back:
 * uncached (random id, `Cache-Control: no-cache` for both: skip the lookup) and cached (same id, no header).
 * Two alternating rounds per cell; the better round of each is kept (a shared machine drifts between runs).
 */
async function compareAthenaRs(targets, uris, gatewayPid) {
  const { startAthenaRs, unavailable } = require('./athena-rs');
  const why = unavailable();
  if (why) {
    console.log(`\n*** athena_rs side by side SKIPPED: ${why} ***\n`);
    return { skipped: why };
  }
  const controlDb = `${DB}_rs_control`;
  const admin = new Client({ connectionString: ADMIN_URI });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${controlDb}`);
  await admin.end();
  const rs = await startAthenaRs({ dataUri: uris.pg, controlUri: withDb(ADMIN_URI, controlDb), poolMax: 16 });
  const results = [];
  try {
    const cases = [
      { name: 'uncached (random id, no-cache)', body: randomId, headers: { 'cache-control': 'no-cache' } },
      {
        name: 'cached (same id)',
        body: { table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] },
        headers: {},
      },
    ];
    for (const k of cases) {
      for (const c of CONNECTIONS) {
        const sides = { athena: { url: targets.gateway, pid: gatewayPid }, athena_rs: { url: rs.url, pid: rs.pid } };
        for (const side of Object.values(sides)) await run(`${side.url}/gateway/fetch`, k.body, c, k.headers); // warm-up
        const best = {};
        for (let round = 0; round < 2; round++) {
          for (const [name, side] of Object.entries(sides)) {
            const r = await withCpu(side.pid, () => run(`${side.url}/gateway/fetch`, k.body, c, k.headers));
            if (r.non2xx > 0 || r.errors > 0)
              throw new Error(`${name} answered ${r.non2xx} non-2xx / ${r.errors} errors`);
            if (!best[name] || r.requests.average > best[name].requests.average) best[name] = r;
          }
        }
        const a = best.athena;
        const b = best.athena_rs;
        results.push({
          scenario: k.name,
          connections: c,
          athena_rps: Math.round(a.requests.average),
          athena_rs_rps: Math.round(b.requests.average),
          ratio: Number((a.requests.average / b.requests.average).toFixed(3)),
          athena_p99_ms: a.latency.p99,
          athena_rs_p99_ms: b.latency.p99,
          athena_node_us: a.cpu.node_us,
          athena_rs_proc_us: b.cpu.node_us,
          athena_pg_us: a.cpu.pg_us,
          athena_rs_pg_us: b.cpu.pg_us,
        });
      }
    }
  } finally {
    await rs.stop();
  }
  return { binary: require('./athena-rs').BIN, results };
}

async function main() {
  const uris = await prepare();
  const { child, targets } = await startTarget(uris, ADMIN_KEY);
  // Uncached scenarios send Cache-Control: no-store (the response cache is on by default).
  const NO_STORE = { 'cache-control': 'no-store' };
  const scenarios = [
    // Identical payloads: concurrent requests may share one execution (the gateway's single-flight).
    {
      name: 'fetch 1 row by PK (same id)',
      body: { table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] },
      floor: '/floor/one',
    },
    // A different id per request: nothing to coalesce, so this is the gateway's raw overhead over the floor.
    { name: 'fetch 1 row by PK (random id)', body: randomId, floor: '/floor/one' },
    {
      name: 'fetch 100 rows',
      body: { table_name: 'bench_items', limit: 100, sort_by: { field: 'id' } },
      floor: '/floor/hundred',
    },
    // Cached API-key check: client "bench_auth" (same database) has enforcement on and the request carries a
    // valid key with bench_items.read; the baseline is the same gateway request on "bench" (enforcement off, no key).
    { name: 'fetch 1 row by PK (random id), API key enforced', body: randomId, auth: true },
    // The response cache: the same single-row fetch answered from the cache (target: >= 2x the floor).
    {
      name: 'fetch 1 row by PK (cached)',
      body: { table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] },
      floor: '/floor/one',
      cached: true,
    },
  ]
    .filter((s) => ONLY.length === 0 || ONLY.some((o) => s.name.includes(o)))
    .map((s) => ({ ...s, headers: s.cached ? {} : NO_STORE }));
  const apiKey = scenarios.some((s) => s.auth) ? await setupApiKey(targets.gateway) : null;
  const results = [];
  let athenaRs;
  let rowScaling;
  let clientScaling;
  try {
    for (const s of scenarios) {
      for (const c of CONNECTIONS) {
        if (s.auth) {
          const keyed = { ...s.headers, 'x-athena-client': 'bench_auth', authorization: `Bearer ${apiKey}` };
          await run(`${targets.gateway}/gateway/fetch`, s.body, c, keyed); // warm-up (not recorded)
          await run(`${targets.gateway}/gateway/fetch`, s.body, c, s.headers);
          // Alternate keyed / unkeyed runs and take medians: a shared machine drifts between runs.
          const withKey = [];
          const without = [];
          for (let round = 0; round < AUTH_ROUNDS; round++) {
            const k = await run(`${targets.gateway}/gateway/fetch`, s.body, c, keyed);
            if (k.non2xx > 0 || k.errors > 0)
              throw new Error(`keyed gateway answered ${k.non2xx} non-2xx / ${k.errors} errors`);
            withKey.push(k);
            without.push(await run(`${targets.gateway}/gateway/fetch`, s.body, c, s.headers));
          }
          const med = (runs, f) => runs.map(f).sort((x, y) => x - y)[Math.floor(runs.length / 2)];
          const kRps = med(withKey, (r) => r.requests.average);
          const nRps = med(without, (r) => r.requests.average);
          // Here "floor" is the same gateway request without a key (enforcement off): the gap is the key check.
          results.push({
            scenario: s.name,
            connections: c,
            baseline: 'gateway without key',
            gateway_rps: Math.round(kRps),
            floor_rps: Math.round(nRps),
            gateway_p50_ms: med(withKey, (r) => r.latency.p50),
            gateway_p99_ms: med(withKey, (r) => r.latency.p99),
            floor_p50_ms: med(without, (r) => r.latency.p50),
            floor_p99_ms: med(without, (r) => r.latency.p99),
            ratio: Number((kRps / nRps).toFixed(3)),
            // Service time per request (1/throughput) with the key minus without it.
            per_request_overhead_us: Math.round(1e6 / kRps - 1e6 / nRps),
          });
          continue;
        }
        await run(`${targets.gateway}/gateway/fetch`, s.body, c, s.headers); // warm-up (not recorded)
        // Gateway, floor (and, for cache hits, the ceiling: a bare Fastify route sending stored bytes — the most
        // any hit can reach here) alternate ROUNDS times; each column is the median of its runs, so a drift of
        // the shared machine between runs moves both sides.
        const gws = [];
        const fls = [];
        const ceils = [];
        for (let round = 0; round < ROUNDS; round++) {
          const g = await withCpu(child.pid, () => run(`${targets.gateway}/gateway/fetch`, s.body, c, s.headers));
          if (g.non2xx > 0 || g.errors > 0)
            throw new Error(`gateway answered ${g.non2xx} non-2xx / ${g.errors} errors in "${s.name}"`);
          gws.push(g);
          fls.push(await withCpu(child.pid, () => run(`${targets.floor}${s.floor}`, s.body, c)));
          if (s.cached) ceils.push(await withCpu(child.pid, () => run(`${targets.floor}/floor/static`, s.body, c)));
        }
        const gw = medianRun(gws);
        const fl = medianRun(fls);
        const ceil = s.cached ? medianRun(ceils) : null;
        results.push({
          scenario: s.name,
          connections: c,
          gateway_rps: Math.round(gw.requests.average),
          floor_rps: Math.round(fl.requests.average),
          gateway_p50_ms: gw.latency.p50,
          gateway_p99_ms: gw.latency.p99,
          floor_p50_ms: fl.latency.p50,
          floor_p99_ms: fl.latency.p99,
          // The median of the per-round ratios: each gateway run is paired with the floor run right after it.
          ratio: pairedRatio(gws, fls),
          // CPU per request (µs) of the target process and of PostgreSQL: on a shared machine throughput follows these.
          gateway_node_us: gw.cpu.node_us,
          gateway_pg_us: gw.cpu.pg_us,
          floor_node_us: fl.cpu.node_us,
          floor_pg_us: fl.cpu.pg_us,
          loadgen_us: gw.cpu.loadgen_us,
          ...(ceil && {
            ceiling_rps: Math.round(ceil.requests.average),
            ceiling_ratio: pairedRatio(ceils, fls),
            ceiling_node_us: ceil.cpu.node_us,
          }),
        });
      }
    }
    if (wants('rows')) rowScaling = await runRows({ targets, duration: DURATION });
    if (wants('athena_rs')) {
      athenaRs = await compareAthenaRs(targets, uris, child.pid);
    }
  } finally {
    child.kill('SIGTERM');
  }
  // 1 vs 1,000 configured clients: separate gateway processes, after the bench target has stopped.
  if (wants('clients'))
    clientScaling = await runClients({ controlUri: uris.control, dataUri: uris.pg, duration: DURATION, randomId });
  console.table(results);
  if (rowScaling) console.table(rowScaling);
  if (clientScaling) console.table(clientScaling);
  if (athenaRs?.skipped) console.log(`athena_rs side by side: SKIPPED — ${athenaRs.skipped}`);
  else if (athenaRs) console.table(athenaRs.results);
  // Issue 12: 10x overload against one instance with admission on (bench/overload.js).
  const overload = wants('overload') ? await require('./overload').runOverload() : undefined;
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        duration_s: DURATION,
        node: process.version,
        results,
        rows: rowScaling,
        clients: clientScaling,
        athena_rs: athenaRs,
        overload,
      },
      null,
      2,
    ),
  );
  console.log(`written ${file}`);
}

/**
 * The four cases bench/alloc.js and bench/perf-own.js compare, by name: the cache hit and its ceiling, the uncached
 * random-id fetch and its floor.
 */
function hitAndMissCases(targets) {
  const one = { table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] };
  const gw = `${targets.gateway}/gateway/fetch`;
  return {
    hit: { url: gw, body: one, headers: {} },
    ceiling: { url: `${targets.floor}/floor/static`, body: one, headers: {} },
    random: { url: gw, body: randomId, headers: { 'cache-control': 'no-store' } },
    floor: { url: `${targets.floor}/floor/one`, body: randomId, headers: {} },
  };
}

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });

module.exports = { hitAndMissCases, prepare, randomId, withDb };
