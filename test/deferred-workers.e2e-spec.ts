import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { CLI, Child, spawnCli, stopChild, waitFor } from './support/processes';
import { createTestDatabase, requireService, TestDatabase } from './support/services';

/**
 * The deferred worker across processes (the built `athena worker` binary): three workers drain 1,000 jobs with
 * each job executed exactly once (counted in the data database); a worker SIGKILLed mid-job (the read is retried
 * after the lease expires, the write is failed `worker_lost`); every process restarted with jobs queued → none
 * lost; SIGTERM drains within api.shutdown_grace_ms.
 */
const describePg = requireService('postgres') ? describe : describe.skip;

describePg('deferred workers in separate processes (real PostgreSQL)', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  let api: TestApp; // submits; runs no worker
  let cp: Client;
  let dp: Client;
  const children: Child[] = [];
  let config: Record<string, unknown>;

  const submit = (sql: string) =>
    call(`${api.url}/gateway/query`, {
      method: 'POST',
      headers: { 'x-athena-client': 'main', 'x-athena-defer': 'true' },
      json: { query: sql },
    });
  const counts = async () => {
    const r = await cp.query(`SELECT status, count(*)::int AS n FROM gateway_deferred_request_queue GROUP BY status`);
    return Object.fromEntries(r.rows.map((x) => [x.status, x.n])) as Record<string, number>;
  };
  const worker = (over: Record<string, unknown> = {}) => {
    const c = spawnCli(['worker'], { ...config, gateway: { ...(config.gateway as object), ...over } });
    children.push(c);
    return c;
  };
  const workerReady = (c: Child) =>
    waitFor(
      async () => c.output(),
      (o) => o.includes('athena worker running') || c.proc.exitCode !== null,
      30_000,
    ).then(() => {
      if (c.proc.exitCode !== null) throw new Error(`worker exited:\n${c.output()}`);
    });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    control = await createTestDatabase('dworkers_control');
    data = await createTestDatabase('dworkers_data');
    dp = new Client({ connectionString: data.uri });
    await dp.connect();
    await dp.query(
      `CREATE TABLE exec_log (id bigserial PRIMARY KEY, job text NOT NULL); CREATE TABLE knobs (secs double precision NOT NULL); INSERT INTO knobs VALUES (30);`,
    );
    config = {
      gateway: { logging_pg_uri: control.uri, deferred_query_worker_poll_ms: 50, deferred_query_worker_concurrency: 8 },
      postgres_clients: { main: data.uri },
      api: { shutdown_grace_ms: 5000 },
    };
    api = await bootApp(config);
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopChild(c, 'SIGKILL')));
  });

  afterAll(async () => {
    await api?.close();
    await cp?.end();
    await dp?.end();
    await data?.drop();
    await control?.drop();
  });

  it('three worker processes drain 1,000 jobs; every job runs exactly once', async () => {
    const N = 1000;
    const ids: string[] = [];
    for (let i = 0; i < N; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, (_, k) => submit(`INSERT INTO exec_log (job) VALUES ('d${i + k}')`)),
      );
      for (const r of batch) {
        expect(r.status).toBe(202);
        ids.push(r.body.data.request_id);
      }
    }
    const started = Date.now();
    const ws = [worker(), worker(), worker()];
    await Promise.all(ws.map(workerReady));
    await waitFor(counts, (c) => (c.completed ?? 0) + (c.failed ?? 0) >= N, 60_000, 100);
    const drainMs = Date.now() - started;
    expect(await counts()).toEqual({ completed: N });
    const ex = await dp.query(`SELECT job, count(*)::int AS n FROM exec_log WHERE job LIKE 'd%' GROUP BY job`);
    expect(ex.rows.length).toBe(N);
    expect(ex.rows.every((r) => r.n === 1)).toBe(true);
    const attempts = await cp.query(
      `SELECT max(attempts)::int AS mx, min(attempts)::int AS mn FROM gateway_deferred_request_queue`,
    );
    expect(attempts.rows[0]).toEqual({ mx: 1, mn: 1 });
    // Every process took part: each logs how many jobs it finished when it stops.
    const perWorker: number[] = [];
    for (const w of ws) {
      w.proc.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      const line = w
        .output()
        .split('\n')
        .find((l) => l.includes('deferred worker stopped'));
      perWorker.push(JSON.parse(line!).finished_jobs);
    }
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(N);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);
    process.stdout.write(
      `[deferred] 3 worker processes drained ${N} jobs in ${drainMs} ms (incl. start-up); per worker: ${perWorker.join(', ')}\n`,
    );
  }, 120_000);

  it('a worker SIGKILLed mid-job: the read is retried after its lease expires, the write is failed worker_lost', async () => {
    await dp.query('UPDATE knobs SET secs = 30');
    const read = await submit(`SELECT 'r1' AS job, pg_sleep((SELECT secs FROM knobs)) AS slept`);
    const write = await submit(`INSERT INTO exec_log (job) SELECT 'w1' FROM pg_sleep((SELECT secs FROM knobs))`);
    const rid = read.body.data.request_id as string;
    const wid = write.body.data.request_id as string;
    const w1 = worker({ deferred_query_lease_ms: 1500 });
    await workerReady(w1);
    // Both statements are executing in the data database.
    await waitFor(
      () =>
        dp
          .query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep((SELECT secs%' AND state = 'active' AND pid <> pg_backend_pid()`,
            [data.name],
          )
          .then((r) => r.rows[0].n),
      (n) => n === 2,
    );
    w1.proc.kill('SIGKILL');
    await w1.exited;
    // The killed worker's sessions would run on until they notice; end them (the write may or may not have committed).
    await dp.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep((SELECT secs%' AND pid <> pg_backend_pid()`,
      [data.name],
    );
    await dp.query('UPDATE knobs SET secs = 0');
    const w2 = worker({ deferred_query_lease_ms: 1500 });
    await workerReady(w2);
    const job = (id: string) =>
      cp
        .query(
          `SELECT status, reason, attempts, error, result FROM gateway_deferred_request_queue WHERE request_id = $1`,
          [id],
        )
        .then((r) => r.rows[0]);
    const r = await waitFor(
      () => job(rid),
      (x) => x.status === 'completed',
      30_000,
      100,
    );
    expect(r.attempts).toBe(2);
    expect(r.result.data).toEqual([{ job: 'r1', slept: '' }]);
    const w = await waitFor(
      () => job(wid),
      (x) => x.status === 'failed',
      30_000,
      100,
    );
    expect(w).toMatchObject({ status: 'failed', reason: 'worker_lost', attempts: 1 });
    expect(w.error).toMatch(/may have written/);
    // Never run a second time: at most the one (interrupted) execution.
    const n = (await dp.query(`SELECT count(*)::int AS n FROM exec_log WHERE job = 'w1'`)).rows[0].n;
    expect(n).toBeLessThanOrEqual(1);
  }, 90_000);

  it('every process restarted with jobs queued: none lost; SIGTERM drains in-flight jobs within the grace period', async () => {
    const N = 100;
    await dp.query('UPDATE knobs SET secs = 0.05');
    for (let i = 0; i < N; i += 25) {
      const rs = await Promise.all(
        Array.from({ length: 25 }, (_, k) =>
          submit(`INSERT INTO exec_log (job) SELECT 'x${i + k}' FROM pg_sleep((SELECT secs FROM knobs))`),
        ),
      );
      for (const r of rs) expect(r.status).toBe(202);
    }
    const before = await counts();
    const base = before.completed ?? 0;
    // Restart the API process: the queue is in the control plane.
    await api.close();
    api = await bootApp(config);
    const w1 = worker();
    await workerReady(w1);
    await waitFor(counts, (c) => (c.completed ?? 0) > base, 30_000);
    // SIGTERM mid-drain: it stops claiming, finishes what it runs, and exits 0 within the grace period.
    const t0 = Date.now();
    w1.proc.kill('SIGTERM');
    expect(await w1.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000 + 2000);
    expect((await counts()).running ?? 0).toBe(0);
    expect(w1.output()).toContain('deferred worker stopped');
    // A fresh worker finishes the rest; each ran exactly once.
    const w2 = worker();
    await workerReady(w2);
    await waitFor(counts, (c) => (c.queued ?? 0) === 0 && (c.running ?? 0) === 0, 60_000, 100);
    const ex = await dp.query(`SELECT job, count(*)::int AS n FROM exec_log WHERE job LIKE 'x%' GROUP BY job`);
    expect(ex.rows.length).toBe(N);
    expect(ex.rows.every((r) => r.n === 1)).toBe(true);
  }, 120_000);
});
