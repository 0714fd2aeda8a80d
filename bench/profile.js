/*
 * node bench/profile.js — where the gateway's CPU goes (issue 15). After `npm run build`:
 * starts bench/server.js under `node --cpu-prof`, drives one scenario against the gateway with autocannon for
 * BENCH_DURATION seconds (after a warm-up), stops the target and summarises the V8 CPU profile:
 * self time grouped by area (our libs, Nest, Fastify, pg, pino, node internals, GC, …) and the top functions.
 * Env: BENCH_PROFILE_SCENARIO = random | cached | hundred (default random), BENCH_CONNECTIONS (one number, default 16),
 * BENCH_PROFILE_TARGET = gateway | floor | ceiling (default gateway), BENCH_PG_URI as for bench/run.js. Writes the raw profile to bench/results/profile-<scenario>-<ts>.cpuprofile.
 */
const { mkdirSync, mkdtempSync, readdirSync, readFileSync, copyFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { prepare, randomId } = require('./run');
const { post, startTarget } = require('./target');

const DURATION = Number(process.env.BENCH_DURATION || 8);
const CONNECTIONS = Number((process.env.BENCH_CONNECTIONS || '16').split(',')[0]);
const SCENARIO = process.env.BENCH_PROFILE_SCENARIO || 'random';
const TARGET = process.env.BENCH_PROFILE_TARGET || 'gateway';
// `ceiling`: the bare Fastify route that sends stored bytes (bench/server.js) — what any cache hit is measured against.
const FLOOR_PATH = TARGET === 'ceiling' ? '/floor/static' : null;

const SCENARIOS = {
  random: { body: randomId, headers: { 'cache-control': 'no-store' }, floor: '/floor/one' },
  cached: {
    body: { table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] },
    headers: {},
    floor: '/floor/one',
  },
  hundred: {
    body: { table_name: 'bench_items', limit: 100, sort_by: { field: 'id' } },
    headers: { 'cache-control': 'no-store' },
    floor: '/floor/hundred',
  },
};

/** Area of a call frame: our code by library, dependencies by package, node internals, V8 pseudo-frames. */
function area(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, outside JS)';
    return functionName || '(native)';
  }
  const lib = /dist\/apps\/athena\/(?:libs\/([^/]+)|apps\/athena)\//.exec(url);
  if (lib) return `athena:${lib[1] || 'app'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url.split('/').slice(-2).join('/');
}

/** Self time per profile node, counting only samples taken between `from` and `to` (µs, monotonic clock). */
function summarise(profile, from = -Infinity, to = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += dt[i] || 0;
    const next = dt[i + 1] || 0;
    if (t < from || t > to) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + next);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map();
  const fns = new Map();
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame;
    const a = area(f);
    areas.set(a, (areas.get(a) || 0) + us);
    const key = `${f.functionName || '(anonymous)'} ${a}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) || 0) + us);
  }
  const busy = total - (areas.get('idle') || 0);
  const top = (m, n) =>
    [...m]
      .filter(([k]) => k !== 'idle')
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([k, us]) => ({ what: k, share_of_busy: `${((100 * us) / busy).toFixed(1)} %`, ms: Math.round(us / 1000) }));
  return {
    total_ms: Math.round(total / 1000),
    busy_ms: Math.round(busy / 1000),
    areas: top(areas, 25),
    functions: top(fns, 30),
  };
}

async function main() {
  const scenario = SCENARIOS[SCENARIO];
  if (!scenario) throw new Error(`BENCH_PROFILE_SCENARIO must be one of ${Object.keys(SCENARIOS).join(', ')}`);
  const uris = await prepare();
  const profDir = mkdtempSync(join(tmpdir(), 'athena-prof-'));
  const { child, targets } = await startTarget(uris, `bench-${process.pid}`, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const url =
    TARGET === 'gateway' ? `${targets.gateway}/gateway/fetch` : `${targets.floor}${FLOOR_PATH ?? scenario.floor}`;
  await post({ url, ...scenario, duration: 3, connections: CONNECTIONS }); // warm-up
  // V8's profile clock and process.hrtime are both CLOCK_MONOTONIC: keep only the samples of the measured run.
  const from = Number(process.hrtime.bigint() / 1000n);
  const r = await post({ url, ...scenario, duration: DURATION, connections: CONNECTIONS });
  const to = Number(process.hrtime.bigint() / 1000n);
  if (r.non2xx || r.errors) throw new Error(`gateway answered ${r.non2xx} non-2xx / ${r.errors} errors`);
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const kept = join(out, `profile-${SCENARIO}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  copyFileSync(join(profDir, file), kept);
  writeFileSync(
    `${kept}.json`,
    JSON.stringify({ from, to, requests: r.requests.total, scenario: SCENARIO, target: TARGET }),
  );
  const s = summarise(JSON.parse(readFileSync(kept, 'utf8')), from, to);
  console.log(
    `${SCENARIO}, ${CONNECTIONS} connections, ${DURATION} s: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms; ` +
      `${TARGET}: busy ${s.busy_ms} ms of ${s.total_ms} ms sampled (${Math.round((1000 * s.busy_ms) / r.requests.total)} µs per request)`,
  );
  console.table(s.areas);
  console.table(s.functions);
  console.log(`profile: ${kept}`);
}

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });

module.exports = { summarise };
