import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { CLI, GatewayProcess, startGatewayProcess, stopChild } from './support/processes';
import { createTestDatabase, requireService, serviceUrl, TestDatabase } from './support/services';
import { WsClient } from './support/ws-client';

/**
 * Live subscriptions across two gateway PROCESSES sharing Redis: a subscriber on instance B (a child process running
 * the built binary) sees a write made through instance A (this process). The latency is measured and printed.
 */
const describeBoth = requireService('postgres') && requireService('redis') ? describe : describe.skip;

describeBoth('WebSocket subscriptions across two gateway processes sharing Redis', () => {
  let a: TestApp;
  let child: GatewayProcess;
  let bUrl = '';
  let control: TestDatabase;
  let data: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    control = await createTestDatabase('wssprocs_control');
    data = await createTestDatabase('wssprocs_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query('CREATE TABLE items (id serial PRIMARY KEY, name text, qty integer);');
    await d.end();
    const tag = randomBytes(4).toString('hex');
    const shared = {
      gateway: { logging_pg_uri: control.uri, websocket: { events_channel: `athena:test:wssprocs:${tag}` } },
      postgres_clients: { main: data.uri },
      redis: { url: serviceUrl('redis') },
      api: { cache: { redis_key_prefix: `athena:test:wssprocs:${tag}:` } },
    };
    a = await bootApp(shared);
    child = await startGatewayProcess({ ...shared, api: shared.api });
    bUrl = child.url;
  }, 60_000);

  afterAll(async () => {
    await stopChild(child);
    await a?.close();
    await data?.drop();
    await control?.drop();
  });

  it('a subscriber on B sees writes made through A within 1 s (latency measured), filtered by its conditions', async () => {
    expect((await call(`${bUrl}/wss/info`)).body.data).toMatchObject({ state: 'serving', events: 'redis' });
    const sub = await WsClient.open(`${bUrl}/wss/gateway`);
    const s = await sub.request({
      action: 'subscribe',
      request_id: 'p1',
      client_name: 'main',
      table_name: 'items',
      conditions: [{ column: 'qty', operator: 'gte', value: 10 }],
    });
    expect(s.status).toBe('success');
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const w = await call(`${a.url}/gateway/insert`, {
        method: 'PUT',
        headers: { 'x-athena-client': 'main' },
        json: {
          table_name: 'items',
          insert_body: [
            { name: `low-${i}`, qty: 1 },
            { name: `high-${i}`, qty: 10 + i },
          ],
        },
      });
      expect(w.status).toBe(200);
      const e = await sub.next((f) => f.type === 'event' && f.rows[0]?.name === `high-${i}`, 1000);
      latencies.push(performance.now() - started);
      expect(e.rows.map((r: any) => r.name)).toEqual([`high-${i}`]);
    }
    latencies.sort((x, y) => x - y);
    const p50 = latencies[Math.floor(latencies.length / 2)];
    const max = latencies[latencies.length - 1];
    process.stderr.write(
      `[realtime] cross-instance write→event latency over ${latencies.length} writes (HTTP insert on A → event on B, incl. the insert): p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms\n`,
    );
    expect(max).toBeLessThan(1000);
    await sub.close();
  });
});
