#!/usr/bin/env node
/*
 * Backup memory/throughput bench (issue: "back up a database of >= 200 MB and report the gateway's peak RSS
 * growth and MB/s"). After `npm run build`:
 *   node bench/backup-memory.js
 * Env: BENCH_PG_URI (superuser; default ATHENA_TEST_PG_URI or postgres://postgres:postgres@127.0.0.1:5432/postgres),
 * BENCH_S3_ENDPOINT (an S3-compatible endpoint; default: start moto_server from ATHENA_TEST_MOTO_BIN / PATH),
 * BENCH_BACKUP_MB (default 220: MiB of incompressible bytea, so the dump is about as large), BENCH_PART_MB / BENCH_QUEUE
 * (backup.part_size_mb / queue_size, default 8 / 2).
 * Starts the built gateway as a child process, samples its RSS (/proc/<pid>/status) every 20 ms while one backup
 * job runs, prints and writes bench/results/backup-<timestamp>.json.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { Client } = require('pg');
const { S3Client, CreateBucketCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist/apps/athena/apps/athena/src/cli.js');
const PG =
  process.env.BENCH_PG_URI || process.env.ATHENA_TEST_PG_URI || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const MB = Number(process.env.BENCH_BACKUP_MB || 220);
const DB = 'athena_bench_backup';
const ADMIN = `bench-${process.pid}`;
const PART_MB = Number(process.env.BENCH_PART_MB || 8);
const QUEUE = Number(process.env.BENCH_QUEUE || 2);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
const rssKb = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
};
const withDb = (uri, db) => {
  const u = new URL(uri);
  u.pathname = `/${db}`;
  return u.toString();
};

async function q(uri, sql) {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function startMoto() {
  const bin =
    process.env.ATHENA_TEST_MOTO_BIN ||
    ['/var/tmp/athena-ci-moto/bin/moto_server'].find((p) => fs.existsSync(p)) ||
    'moto_server';
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(endpoint);
      return { endpoint, child };
    } catch {
      await sleep(200);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`moto (${bin}) did not start`);
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('run `npm run build` first');
  const moto = process.env.BENCH_S3_ENDPOINT
    ? { endpoint: process.env.BENCH_S3_ENDPOINT, child: null }
    : await startMoto();
  const bucket = `athena-bench-${Date.now()}`;
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  await q(PG, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await q(PG, `CREATE DATABASE ${DB}`);
  const dbUri = withDb(PG, DB);
  const t0 = Date.now();
  await q(
    dbUri,
    `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
    INSERT INTO blobs SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 65536) j) FROM generate_series(1, ${MB}) i`,
  );
  const dbSize = Number((await q(dbUri, `SELECT pg_database_size(current_database()) AS s`)).rows[0].s);
  process.stderr.write(
    `seeded ${DB}: ${(dbSize / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-bench-backup-'));
  const control = `${DB}_control`;
  await q(PG, `DROP DATABASE IF EXISTS ${control} WITH (FORCE)`);
  await q(PG, `CREATE DATABASE ${control}`);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'config.yaml'),
    [
      `api: { port: ${port}, host: 127.0.0.1 }`,
      `gateway: { logging_pg_uri: "${withDb(PG, control)}" }`,
      `postgres_clients: { bench: "${dbUri}" }`,
      `logging: { level: warn, directory: "${dir}" }`,
      `embedded: { enabled: false }`,
      `backup: { bucket: ${bucket}, prefix: bench, endpoint: "${moto.endpoint}", force_path_style: true, access_key_id: bench, secret_access_key: bench, wait_ms: 0, part_size_mb: ${PART_MB}, queue_size: ${QUEUE} }`,
    ].join('\n'),
  );
  const gw = spawn(process.execPath, [CLI, 'server', '--config', path.join(dir, 'config.yaml')], {
    env: { ...process.env, ATHENA_KEY_12: ADMIN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const H = { 'x-athena-admin-key': ADMIN, 'content-type': 'application/json' };
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/ready`)).status === 200) break;
      } catch {
        /* not up */
      }
      if (i > 300) throw new Error('gateway not ready');
      await sleep(100);
    }
    // Warm up the routes (and the job path) with one small request, then take the idle RSS.
    await fetch(`${url}/admin/backups/jobs`, { headers: H });
    await sleep(1000);
    const idle = rssKb(gw.pid);
    let peak = idle;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssKb(gw.pid));
      } catch {
        /* gone */
      }
    }, 20);
    const started = Date.now();
    const r = await (
      await fetch(`${url}/admin/backups`, {
        method: 'POST',
        headers: H,
        body: JSON.stringify({ client_name: 'bench', label: 'bench' }),
      })
    ).json();
    let job;
    for (;;) {
      job = (await (await fetch(`${url}/admin/backups/jobs/${r.data.job_id}`, { headers: H })).json()).data.job;
      if (!['pending', 'running'].includes(job.status)) break;
      await sleep(200);
    }
    const wall = (Date.now() - started) / 1000;
    clearInterval(sampler);
    if (job.status !== 'completed') throw new Error(`job ${job.status}: ${job.error}`);
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      database_mib: +(dbSize / 2 ** 20).toFixed(1),
      dump_mib: +(job.size_bytes / 2 ** 20).toFixed(1),
      duration_s: +(job.duration_ms / 1000).toFixed(2),
      wall_s: +wall.toFixed(2),
      mib_per_s: +(job.size_bytes / 2 ** 20 / (job.duration_ms / 1000)).toFixed(1),
      idle_rss_mib: +(idle / 1024).toFixed(1),
      peak_rss_mib: +(peak / 1024).toFixed(1),
      peak_rss_growth_mib: +((peak - idle) / 1024).toFixed(1),
      part_size_mib: PART_MB,
      queue_size: QUEUE,
      s3: process.env.BENCH_S3_ENDPOINT ? 'BENCH_S3_ENDPOINT' : 'moto (local)',
    };
    console.log(JSON.stringify(result, null, 2));
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(
      path.join(__dirname, 'results', `backup-${result.at.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: job.key })).catch(() => undefined);
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    moto.child?.kill('SIGTERM');
    s3.destroy();
    await q(PG, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await q(PG, `DROP DATABASE IF EXISTS ${control} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
