/*
 * node bench/perf-own.js — where a request's CPU goes, kernel and native code included (issue 15). After
 * `npm run build`: starts bench/server.js with `--perf-basic-prof` (V8 writes a symbol map of its JIT code), then for
 * each case (cache hit, ceiling, uncached random id, floor) drives BENCH_CONNECTIONS (default 16) connections for
 * BENCH_DURATION seconds (default 5) after a 2 s warm-up while Linux `perf record` samples the target process
 * (on-CPU time only, 4,999 Hz, call chains).
 *
 * Every sample is charged to its **owner**: the innermost JavaScript frame of its call chain, named by package
 * (`fastify`, `pg`, …), by Athena library (`athena:cache`, …) or by Node module (`node:streams`, …). So a system
 * call, a JSON.stringify or a crypto hash counts for the JavaScript that asked for it, which V8's own profiler
 * cannot show (it never sees kernel time and charges native time to whatever frame it finds). Samples with no
 * JavaScript frame are `(native)`, `(gc)` or `(kernel)` (an epoll wait, a socket the event loop reads…).
 * Each sample is also classed by its leaf: kernel, native (C++), builtin (V8's generated code: property access
 * stubs, promise machinery…), JIT (JavaScript) or GC.
 *
 * Prints µs of CPU per request by leaf class and by owner for each case, then gateway − floor and hit − ceiling
 * per owner: the gateway's cost over a bare route, item by item. Raw rows: bench/results/perf-own-<time>.json.
 * perf's own sampling adds a few per cent, so absolute numbers run a little above bench/run.js's /proc figures.
 * Needs `perf` (Debian: linux-perf) and permission to profile the target (root, or kernel.perf_event_paranoid ≤ 1);
 * without them it prints why and exits 0.
 * Env: BENCH_PG_URI as for bench/run.js; BENCH_PERF_CASES (comma-separated subset of hit,ceiling,random,floor);
 * BENCH_PERF_TOP (owners listed per case, default 25).
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const readline = require('node:readline');
const { hitAndMissCases, prepare } = require('./run');
const { post, startTarget } = require('./target');

const DURATION = Number(process.env.BENCH_DURATION || 5);
const CONNECTIONS = Number((process.env.BENCH_CONNECTIONS || '16').split(',')[0]);
const TOP = Number(process.env.BENCH_PERF_TOP || 25);
const HZ = 4999;
const drive = (url, body, headers, duration) => post({ url, body, headers, duration, connections: CONNECTIONS });

/** Voluntary context switches of a process so far (each one a sleep that a later wake-up must end). */
function sleeps(pid) {
  try {
    return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return null;
  }
}

/** Why perf cannot be used here, or null. */
function perfUnavailable() {
  const v = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'the `perf` command is not installed (Debian: apt-get install linux-perf)';
  const probe = spawnSync('perf', ['record', '-F', '99', '-o', '/dev/null', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `perf record is not permitted here: ${(probe.stderr || '').trim().split('\n')[0]}`;
  return null;
}

/** The owner of a JavaScript frame symbol (`JS:*name file:line:col`), or null for a native frame. */
function ownerOf(sym) {
  const m = /^JS:[*^~+]?\S* (\S+)/.exec(sym);
  if (!m) return null;
  const f = m[1];
  let lib = /\/dist\/apps\/athena\/libs\/([^/]+)\//.exec(f);
  if (lib) return `athena:${lib[1]}`;
  if (f.includes('/dist/apps/athena/apps/')) return 'athena:app';
  lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  if (lib) return lib[1];
  lib = /^node:(?:internal\/)?([^/:]+)/.exec(f);
  if (lib) return `node:${lib[1]}`;
  return '(other js)';
}

function leafClass(leaf) {
  if (leaf.dso === '[kernel.kallsyms]') return 'kernel';
  if (leaf.sym.startsWith('JS:') || leaf.sym.startsWith('RegExp:')) return 'jit';
  if (/Scaveng|Marking|MarkCompact|Sweeper|Evacuat|GCTracer|Heap::|ConcurrentMark/.test(leaf.sym)) return 'gc';
  if (leaf.sym.startsWith('Builtins_')) return 'builtin';
  return 'native';
}

/** Reads `perf script` output: per-sample leaf class and owner counts. */
async function attribute(dataFile) {
  const p = spawn('perf', ['script', '-i', dataFile, '-F', 'ip,sym,dso'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const rl = readline.createInterface({ input: p.stdout });
  const owners = new Map();
  const leaves = new Map();
  let samples = 0;
  let frames = [];
  const flush = () => {
    if (frames.length === 0) return;
    samples++;
    const leaf = frames[0];
    const cls = leafClass(leaf);
    leaves.set(cls, (leaves.get(cls) || 0) + 1);
    let owner = null;
    for (const f of frames) if ((owner = ownerOf(f.sym))) break;
    if (!owner) owner = `(${cls === 'jit' || cls === 'builtin' ? 'native' : cls})`;
    owners.set(owner, (owners.get(owner) || 0) + 1);
    frames = [];
  };
  for await (const line of rl) {
    if (!/^\s/.test(line) || !line.trim()) {
      flush();
      continue;
    }
    // "<ip> <symbol> (<dso>)"; the symbol may contain spaces.
    const m = /^\s*[0-9a-f]+ (.*) \(([^()]*)\)$/.exec(line);
    if (m) frames.push({ sym: m[1], dso: m[2].startsWith('/tmp/perf-') ? '[jit]' : m[2] });
  }
  flush();
  return { samples, owners, leaves };
}

async function main() {
  const why = perfUnavailable();
  if (why) {
    console.log(`bench/perf-own.js skipped: ${why}.`);
    return;
  }
  const uris = await prepare();
  const dir = mkdtempSync(join(tmpdir(), 'athena-perf-'));
  // V8 writes the symbol map to /tmp/perf-<pid>.map (removed below) and a code log, kept out of the working tree.
  const { child, targets } = await startTarget(uris, `bench-perf-${process.pid}`, [
    '--perf-basic-prof',
    `--logfile=${join(dir, 'v8.log')}`,
  ]);
  const cases = hitAndMissCases(targets);
  const wanted = (process.env.BENCH_PERF_CASES || Object.keys(cases).join(',')).split(',').map((s) => s.trim());
  const results = {};
  try {
    for (const name of wanted) {
      const c = cases[name];
      if (!c) throw new Error(`BENCH_PERF_CASES: unknown case ${name} (hit, ceiling, random, floor)`);
      await drive(c.url, c.body, c.headers, 2);
      const data = join(dir, `${name}.data`);
      const rec = spawn('perf', ['record', '-F', String(HZ), '-g', '-p', String(child.pid), '-o', data], {
        stdio: 'ignore',
      });
      await new Promise((r) => setTimeout(r, 300)); // perf attaches
      const before = { target: sleeps(child.pid), loadgen: sleeps(process.pid) };
      const r = await drive(c.url, c.body, c.headers, DURATION);
      const after = { target: sleeps(child.pid), loadgen: sleeps(process.pid) };
      await new Promise((resolve) => {
        rec.once('exit', resolve);
        rec.kill('SIGINT');
      });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx / ${r.errors} errors`);
      const { samples, owners, leaves } = await attribute(data);
      const per = (n) => Number(((n * 1e6) / HZ / r.requests.total).toFixed(1));
      results[name] = {
        requests: r.requests.total,
        req_per_s: Math.round(r.requests.average),
        cpu_us_per_request: per(samples),
        // How often each side went to sleep per request: every sleep of the load generator is a wake-up that the
        // target's socket write pays for in the kernel (both share the machine's cores).
        target_sleeps_per_request: Number(((after.target - before.target) / r.requests.total).toFixed(2)),
        loadgen_sleeps_per_request: Number(((after.loadgen - before.loadgen) / r.requests.total).toFixed(2)),
        by_leaf: Object.fromEntries([...leaves].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, per(v)])),
        by_owner: Object.fromEntries([...owners].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, per(v)])),
      };
    }
  } finally {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `\n${name}: ${r.cpu_us_per_request} µs of CPU per request at ${r.req_per_s} req/s; sleeps per request: ` +
        `target ${r.target_sleeps_per_request}, load generator ${r.loadgen_sleeps_per_request}`,
    );
    console.log(
      `  by leaf: ${Object.entries(r.by_leaf)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.table(
      Object.entries(r.by_owner)
        .slice(0, TOP)
        .map(([owner, us]) => ({ owner, us_per_request: us })),
    );
  }
  const diff = (a, b) => {
    if (!results[a] || !results[b]) return;
    const keys = new Set([...Object.keys(results[a].by_owner), ...Object.keys(results[b].by_owner)]);
    const rows = [...keys]
      .map((k) => ({
        owner: k,
        [a]: results[a].by_owner[k] ?? 0,
        [b]: results[b].by_owner[k] ?? 0,
        difference: Number(((results[a].by_owner[k] ?? 0) - (results[b].by_owner[k] ?? 0)).toFixed(1)),
      }))
      .sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference))
      .slice(0, TOP);
    console.log(
      `\n${a} − ${b}: ${(results[a].cpu_us_per_request - results[b].cpu_us_per_request).toFixed(1)} µs per request`,
    );
    console.table(rows);
  };
  diff('random', 'floor');
  diff('hit', 'ceiling');
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `perf-own-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ connections: CONNECTIONS, duration: DURATION, results }, null, 2));
  console.log(`written ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
