#!/usr/bin/env node
/*
 * WebSocket scenarios (issue 14), against a running gateway (BENCH_URL, default http://127.0.0.1:4052) with a
 * client `main` holding table `items`:
 *   1. fetch over ONE WebSocket connection with 16 requests in flight vs HTTP keep-alive with 16 connections
 *      (autocannon): req/s and p99 for each;
 *   2. 1,000 idle subscribed connections: the gateway's RSS per connection (from /metrics process_resident_memory_bytes).
 * Usage: node bench/wss.js [seconds]
 */
const WsClient = require('ws');
const autocannon = require('autocannon');

const base = process.env.BENCH_URL || 'http://127.0.0.1:4052';
const seconds = Number(process.argv[2] || 10);
const body = { table_name: 'items', limit: 1 };

async function rss() {
  const t = await (await fetch(`${base}/metrics`)).text();
  const m = /process_resident_memory_bytes (\d+)/.exec(t);
  return m ? Number(m[1]) : NaN;
}

function wsFetch() {
  return new Promise((resolve) => {
    const ws = new WsClient(`${base.replace(/^http/, 'ws')}/wss/gateway`);
    const lat = [];
    let sent = 0;
    let done = 0;
    const started = new Map();
    const end = Date.now() + seconds * 1000;
    const send = () => {
      const id = String(sent++);
      started.set(id, performance.now());
      ws.send(JSON.stringify({ action: 'gateway.fetch', request_id: id, client_name: 'main', body }));
    };
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'hello') {
        for (let i = 0; i < 16; i++) send();
        return;
      }
      lat.push(performance.now() - started.get(f.request_id));
      started.delete(f.request_id);
      done++;
      if (Date.now() < end) send();
      else if (started.size === 0) {
        ws.close();
        lat.sort((a, b) => a - b);
        resolve({ rps: done / seconds, p99: lat[Math.floor(lat.length * 0.99)] });
      }
    });
  });
}

async function main() {
  const w = await wsFetch();
  const h = await autocannon({
    url: `${base}/gateway/fetch`,
    method: 'POST',
    connections: 16,
    duration: seconds,
    headers: { 'content-type': 'application/json', 'x-athena-client': 'main' },
    body: JSON.stringify(body),
  });
  console.log(`ws  1 conn x16 in flight: ${w.rps.toFixed(0)} req/s, p99 ${w.p99.toFixed(2)} ms`);
  console.log(`http 16 keep-alive conns: ${h.requests.average.toFixed(0)} req/s, p99 ${h.latency.p99} ms`);
  const before = await rss();
  const conns = [];
  for (let i = 0; i < 1000; i++) {
    const ws = new WsClient(`${base.replace(/^http/, 'ws')}/wss/gateway`);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ action: 'subscribe', request_id: 's', client_name: 'main', table_name: 'items' }));
    conns.push(ws);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await rss();
  console.log(
    `1000 idle subscribed connections: ${((after - before) / 1000 / 1024).toFixed(1)} KiB RSS per connection`,
  );
  for (const c of conns) c.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
