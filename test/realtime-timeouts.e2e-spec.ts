import { Client } from 'pg';
import WebSocket from 'ws';
import { bootApp, call, TestApp } from './support/app';
import { waitFor } from './support/processes';
import { createTestDatabase, describeWith, TestDatabase } from './support/services';
import { WsClient } from './support/ws-client';

const HEARTBEAT_MS = 250;
const IDLE_MS = 1000;

/** Resolves with the close event, or rejects after `ms` (a deadline, not a sleep). */
function closedWithin(
  c: Promise<{ code: number; reason: string }>,
  ms: number,
): Promise<{ code: number; reason: string }> {
  let t: NodeJS.Timeout;
  return Promise.race([
    c,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

/** Keeps a connection active: a request frame every `everyMs` until stopped; each must be answered. */
function keepActive(ws: WsClient, everyMs: number): { answered(): number; stop(): Promise<number> } {
  let n = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await ws.request({ action: 'no.such.action', request_id: `keep-${++n}` });
      expect(r).toMatchObject({ status: 'error', code: 'unknown_action' });
      await new Promise((res) => setTimeout(res, everyMs));
    }
    return n;
  })();
  return { answered: () => n, stop: () => ((running = false), loop) };
}

async function closedTotal(app: TestApp, reason: string): Promise<number> {
  const m = await call(`${app.url}/metrics`);
  const line = (m.text as string)
    .split('\n')
    .find((l) => l.startsWith('athena_wss_closed_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Heartbeats and the idle timeout of /wss/gateway with small intervals (gateway.websocket.heartbeat_ms /
 * idle_timeout_ms): a client that does not answer pings is terminated, an idle one is closed with 4000, and
 * connections that answer pings and send frames (or hold a subscription) stay open.
 */
describeWith('postgres')('WebSocket heartbeat, idle timeout and raw-SQL events (real app, small intervals)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let data: TestDatabase;
  const wsUrl = () => `${app.url.replace(/^http/, 'ws')}/wss/gateway`;

  beforeAll(async () => {
    control = await createTestDatabase('wss_to_control');
    data = await createTestDatabase('wss_to_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query('CREATE TABLE items (id serial PRIMARY KEY, name text)');
    await d.end();
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, websocket: { heartbeat_ms: HEARTBEAT_MS, idle_timeout_ms: IDLE_MS } },
      postgres_clients: { main: data.uri },
    });
  });

  afterAll(async () => {
    await app?.close();
    await data?.drop();
    await control?.drop();
  });

  it('the hello frame and /wss/info carry the configured intervals', async () => {
    const ws = await WsClient.open(wsUrl());
    try {
      expect((await ws.next((f) => f.type === 'hello')).data).toMatchObject({
        heartbeat_ms: HEARTBEAT_MS,
        idle_timeout_ms: IDLE_MS,
      });
      expect((await call(`${app.url}/wss/info`)).body.data.limits).toMatchObject({
        heartbeat_ms: HEARTBEAT_MS,
        idle_timeout_ms: IDLE_MS,
      });
    } finally {
      await ws.close();
    }
  });

  it('a client that does not answer pings is terminated; one that answers stays open', async () => {
    const before = await closedTotal(app, 'heartbeat');
    // autoPong off: the client sees the pings but never answers them.
    const silent = new WebSocket(wsUrl(), { autoPong: false });
    let silentPings = 0;
    silent.on('ping', () => silentPings++);
    const silentClosed = new Promise<{ code: number; reason: string }>((r) =>
      silent.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    await new Promise((r, j) => (silent.once('open', r), silent.once('error', j)));
    const healthy = await WsClient.open(wsUrl());
    let healthyPings = 0;
    healthy.socket.on('ping', () => healthyPings++);
    // Both send frames, so neither is idle: only the missing pongs tell them apart.
    const silentActive = setInterval(
      () => silent.readyState === WebSocket.OPEN && silent.send('{"action":"no.such.action"}'),
      HEARTBEAT_MS / 2,
    );
    const active = keepActive(healthy, HEARTBEAT_MS / 2);
    try {
      const closed = await closedWithin(silentClosed, 20 * HEARTBEAT_MS + 5000);
      expect(closed.code).toBe(1006); // terminated: no close handshake
      expect(silentPings).toBeGreaterThanOrEqual(1);
      await waitFor(
        () => closedTotal(app, 'heartbeat'),
        (n) => n === before + 1,
        5000,
      );
      // The answering client keeps getting pings (and stays open) well past the point the silent one was dropped.
      const seen = healthyPings;
      await waitFor(
        async () => healthyPings,
        (n) => n >= seen + 5,
        20 * HEARTBEAT_MS + 5000,
      );
      expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
      expect(await active.stop()).toBeGreaterThan(0);
      expect(await healthy.request({ action: 'no.such.action', request_id: 'still-here' })).toMatchObject({
        code: 'unknown_action',
      });
      expect(await closedTotal(app, 'heartbeat')).toBe(before + 1);
    } finally {
      clearInterval(silentActive);
      await active.stop();
      silent.terminate();
      await healthy.close();
    }
  });

  it('a connection idle past idle_timeout_ms is closed with 4000; active and subscribed ones are not', async () => {
    const before = await closedTotal(app, 'idle');
    const idle = await WsClient.open(wsUrl());
    const openedAt = Date.now();
    const busy = await WsClient.open(wsUrl());
    const subscribed = await WsClient.open(wsUrl());
    expect(
      await subscribed.request({ action: 'subscribe', request_id: 's1', client_name: 'main', table_name: 'items' }),
    ).toMatchObject({ status: 'success' });
    const active = keepActive(busy, IDLE_MS / 4);
    try {
      const closed = await closedWithin(idle.closed, IDLE_MS + 20 * HEARTBEAT_MS + 5000);
      const after = Date.now() - openedAt;
      expect(closed.code).toBe(4000);
      expect(closed.reason).toContain('idle');
      expect(after).toBeGreaterThanOrEqual(IDLE_MS);
      await waitFor(
        () => closedTotal(app, 'idle'),
        (n) => n === before + 1,
        5000,
      );
      // Eight more answered frames, at least IDLE_MS / 4 apart: two more idle periods (and many sweeps) pass while
      // the active and the subscribed connections stay open.
      const sent = active.answered();
      await waitFor(
        async () => active.answered(),
        (n) => n >= sent + 8,
        20 * IDLE_MS,
      );
      expect(busy.socket.readyState).toBe(WebSocket.OPEN);
      expect(subscribed.socket.readyState).toBe(WebSocket.OPEN);
      expect(await active.stop()).toBeGreaterThanOrEqual(4);
      expect(await busy.request({ action: 'no.such.action', request_id: 'busy-still-here' })).toMatchObject({
        code: 'unknown_action',
      });
      expect(await closedTotal(app, 'idle')).toBe(before + 1);
    } finally {
      await active.stop();
      await busy.close();
      await subscribed.close();
    }
  });

  it('an unsubscribed connection becomes idle again and is closed', async () => {
    const ws = await WsClient.open(wsUrl());
    const sub = await ws.request({ action: 'subscribe', request_id: 's2', client_name: 'main', table_name: 'items' });
    expect(sub.status).toBe('success');
    expect(
      (await ws.request({ action: 'unsubscribe', request_id: 'u2', subscription_id: sub.data.subscription_id })).status,
    ).toBe('success');
    const closed = await closedWithin(ws.closed, IDLE_MS + 20 * HEARTBEAT_MS + 5000);
    expect(closed.code).toBe(4000);
  });

  it('raw SQL writes (gateway.query) publish no subscription events: a documented limitation', async () => {
    const ws = await WsClient.open(wsUrl());
    try {
      expect(
        (await ws.request({ action: 'subscribe', request_id: 's3', client_name: 'main', table_name: 'items' })).status,
      ).toBe('success');
      const raw = await ws.request({
        action: 'gateway.query',
        request_id: 'raw-1',
        client_name: 'main',
        body: { query: "INSERT INTO items (name) VALUES ('raw')" },
      });
      expect(raw.status).toBe('success');
      // Ordering barrier: the first event this subscriber gets is the one of the later structured insert.
      const ins = await ws.request({
        action: 'gateway.insert',
        request_id: 'ins-1',
        client_name: 'main',
        body: { table_name: 'items', insert_body: { name: 'structured' } },
      });
      expect(ins.status).toBe('success');
      const first = await ws.next((f) => f.type === 'event');
      expect(first).toMatchObject({ operation: 'insert', write_request_id: 'ins-1' });
      expect(first.rows.map((r: { name: string }) => r.name)).toEqual(['structured']);
    } finally {
      await ws.close();
    }
  });
});
