/*
 * node bench/alloc.js — memory allocated per request and the garbage collection it causes (issue 15). After
 * `npm run build`: starts bench/server.js with bench/alloc-probe.js preloaded, then for each case (cache hit,
 * ceiling, uncached random id, floor) drives BENCH_CONNECTIONS (default 16) connections for BENCH_DURATION seconds
 * (default 5) after a 2 s warm-up, with V8's sampling heap profiler on. Prints, per case: bytes allocated per
 * request (sampled every 1 KiB, objects that die young included), scavenges per 1,000 requests and main-thread GC
 * µs per request; then the top allocating functions of the gateway's two cases. Unlike req/s on a shared VM,
 * bytes per request hardly move between runs, so an allocation change shows up in one run.
 * Env: BENCH_PG_URI as for bench/run.js; BENCH_ALLOC_CASES (comma-separated subset of hit,ceiling,random,floor).
 */
const { mkdtempSync, readFileSync, existsSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { hitAndMissCases, prepare } = require('./run');
const { post, startTarget } = require('./target');

const DURATION = Number(process.env.BENCH_DURATION || 5);
const CONNECTIONS = Number((process.env.BENCH_CONNECTIONS || '16').split(',')[0]);
const drive = (url, body, headers, duration) => post({ url, body, headers, duration, connections: CONNECTIONS });

const frameName = (f) =>
  `${f.functionName || '(anonymous)'} ${f.url
    .replace(/.*dist\/apps\/athena\//, '')
    .replace(/.*node_modules\//, '')
    .replace(/^node:internal\/.*\//, 'node:internal/')}:${f.lineNumber + 1}`;

/** Total sampled bytes and bytes by allocating (self) frame. */
function bytesBy(profile) {
  const self = new Map();
  let total = 0;
  const walk = (n) => {
    total += n.selfSize;
    if (n.selfSize) {
      const k = frameName(n.callFrame);
      self.set(k, (self.get(k) || 0) + n.selfSize);
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return { total, self };
}

async function waitFor(file) {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function main() {
  const uris = await prepare();
  const dir = mkdtempSync(join(tmpdir(), 'athena-alloc-'));
  process.env.BENCH_ALLOC_OUT = join(dir, 'window');
  const { child, targets } = await startTarget(uris, `bench-alloc-${process.pid}`, [
    '--require',
    join(__dirname, 'alloc-probe.js'),
  ]);
  const cases = hitAndMissCases(targets);
  const wanted = (process.env.BENCH_ALLOC_CASES || Object.keys(cases).join(',')).split(',').map((s) => s.trim());
  const rows = [];
  const tops = [];
  let n = 0;
  try {
    for (const name of wanted) {
      const c = cases[name];
      if (!c) throw new Error(`BENCH_ALLOC_CASES: unknown case ${name} (hit, ceiling, random, floor)`);
      await drive(c.url, c.body, c.headers, 2);
      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 200));
      const r = await drive(c.url, c.body, c.headers, DURATION);
      child.kill('SIGUSR2');
      const w = await waitFor(`${process.env.BENCH_ALLOC_OUT}-${++n}.json`);
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx / ${r.errors} errors`);
      const reqs = r.requests.total;
      const { total, self } = bytesBy(w.profile);
      rows.push({
        case: name,
        requests: reqs,
        req_per_s: Math.round(r.requests.average),
        bytes_per_request: Math.round(total / reqs),
        scavenges_per_1k: Number(((1000 * w.gc.minor.count) / reqs).toFixed(2)),
        gc_main_us_per_request: Number(((1000 * (w.gc.minor.ms + w.gc.major.ms)) / reqs).toFixed(2)),
      });
      if (name === 'hit' || name === 'random') {
        const top = [...self]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 15)
          .map(([frame, b]) => ({ case: name, frame, bytes_per_request: Math.round(b / reqs) }));
        tops.push(...top);
      }
    }
  } finally {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows);
  console.table(tops);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
