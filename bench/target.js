/*
 * Shared by the bench scripts: starting the benchmark target (bench/server.js), driving load with autocannon, and
 * reading a process's CPU time and resident memory from /proc.
 */
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const autocannon = require('autocannon');

const CLK_TCK = 100; // Linux USER_HZ

/**
 * The node flags of `npm start` (package.json: e.g. V8's young-generation cap), so every bench target runs as the
 * process users start; `BENCH_NODE_FLAGS` (space-separated) overrides them.
 */
const START_FLAGS = (
  process.env.BENCH_NODE_FLAGS ??
  /^node((?: --[^ ]+)*) /.exec(require('../package.json').scripts.start)?.[1] ??
  ''
)
  .split(' ')
  .filter(Boolean);

/** CPU time (µs) used so far by a process, from /proc/<pid>/stat (utime + stime); null where /proc is absent. */
function cpuUs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Resident memory of a process in MB (from /proc/<pid>/status); null where /proc is absent. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Starts bench/server.js on the prepared databases, with `npm start`'s node flags plus `nodeArgs` (e.g.
 * --cpu-prof), and resolves { child, targets: { gateway, floor } } once it prints its ready line.
 */
async function startTarget(uris, adminKey, nodeArgs = []) {
  const child = spawn(process.execPath, [...START_FLAGS, ...nodeArgs, join(__dirname, 'server.js')], {
    env: { ...process.env, BENCH_PG_URI: uris.pg, BENCH_CONTROL_URI: uris.control, ATHENA_KEY_12: adminKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const targets = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { child, targets };
}

/**
 * One autocannon run of JSON POSTs: `body` is an object (the same payload every time) or a function (a fresh
 * payload per request, e.g. a random id). Resolves autocannon's result.
 */
function post({ url, body, connections, duration, client = 'bench', headers = {} }) {
  const opts = {
    url,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json', 'x-athena-client': client, ...headers },
  };
  if (typeof body === 'function')
    opts.requests = [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }];
  else opts.body = JSON.stringify(body);
  return new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));
}

module.exports = { START_FLAGS, cpuUs, post, rssMb, startTarget };
