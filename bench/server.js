/*
 * Benchmark target process: the real gateway (built dist) plus the "floor" — a minimal Fastify route in the
 * same process that runs the SAME compiled SQL on the SAME pg pool and returns the rows as JSON. The gap
 * between the two is the gateway's own cost (routing, parsing, compiling, shaping, logging, metrics).
 * Prints one JSON line {gateway, floor} on stdout when ready; exits on SIGTERM.
 */
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Fastify = require('fastify');
const dist = join(__dirname, '..', 'dist', 'apps', 'athena');
const { startServer } = require(join(dist, 'apps/athena/src/server'));
const { DriverRegistry } = require(join(dist, 'libs/drivers/src'));
const { ClientCatalogService } = require(join(dist, 'libs/catalog/src'));
const { parseFetchPayload, compileSelect } = require(join(dist, 'libs/query/src'));

async function main() {
  const pgUri = process.env.BENCH_PG_URI;
  const controlUri = process.env.BENCH_CONTROL_URI;
  const dir = mkdtempSync(join(tmpdir(), 'athena-bench-'));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      // Optional Redis tier for the response cache (BENCH_REDIS_URL; own key prefix, never flushed).
      process.env.BENCH_REDIS_URL
        ? 'api: { host: 127.0.0.1, cache: { redis_key_prefix: "athena:bench:" } }'
        : 'api: { host: 127.0.0.1 }',
      `logging: { level: ${process.env.BENCH_LOG_LEVEL || 'warn'} }`,
      `gateway: { logging_pg_uri: "${controlUri}", pool: { max: 16 } }`,
      `postgres_clients: { bench: "${pgUri}", bench_auth: "${pgUri}" }`,
      'embedded: { enabled: false }',
      ...(process.env.BENCH_REDIS_URL ? [`redis: { url: "${process.env.BENCH_REDIS_URL}" }`] : []),
    ].join('\n'),
  );
  const server = await startServer({
    configPath: cfg,
    // The way production writes (pino's asynchronous sonic-boom destination), into /dev/null.
    logDestination: require('pino').destination({ dest: '/dev/null', sync: false }),
    adjustConfig: (c) => {
      c.api.port = 0;
    },
  });
  const catalog = server.app.get(ClientCatalogService);
  const driver = server.app.get(DriverRegistry).forClient(catalog.resolve('bench'));
  const pool = driver.rawPool();

  // The floor runs exactly what the gateway compiles for each payload.
  const opts = { camelToSnake: false, maxRows: server.config.gateway.max_rows };
  const compile = async (body) =>
    compileSelect(parseFetchPayload(body, opts), await driver.describe(parseFetchPayload(body, opts).table), {
      autoCastUuid: true,
    });
  const one = await compile({ table_name: 'bench_items', conditions: [{ eq_column: 'id', eq_value: 42 }] });
  const hundred = await compile({ table_name: 'bench_items', limit: 100, sort_by: { field: 'id' } });
  const floor = Fastify({ logger: false });
  // Same statement; the primary key comes from the request body, as in the gateway.
  floor.post('/floor/one', async (req) => {
    const values = one.values.slice();
    values[0] = req.body.conditions[0].eq_value;
    return { status: 'success', data: (await pool.query(one.text, values)).rows };
  });
  floor.post('/floor/hundred', async () => ({
    status: 'success',
    data: (await pool.query(hundred.text, hundred.values)).rows,
  }));
  // Fetches of N rows (bench/scale.js): the statement the gateway compiles for that limit, compiled once per N.
  const byLimit = new Map();
  floor.post('/floor/rows', async (req) => {
    const n = req.body.limit;
    let st = byLimit.get(n);
    if (!st) byLimit.set(n, (st = await compile({ table_name: 'bench_items', limit: n, sort_by: { field: 'id' } })));
    return { status: 'success', data: (await pool.query(st.text, st.values)).rows };
  });
  // The ceiling of a cache hit on this machine: Fastify parses the JSON body and sends stored bytes (the gateway's
  // answer for the cached scenario's row), with no database, cache key, auth, logs or metrics.
  const row = (await pool.query(one.text, one.values)).rows;
  const stored = JSON.stringify({ status: 'success', message: 'Fetched 1 row', data: row, count: 1, cache_key: 'x' });
  floor.post('/floor/static', (req, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').send(stored);
  });
  await floor.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(
    `${JSON.stringify({ gateway: server.url, floor: `http://127.0.0.1:${floor.server.address().port}` })}\n`,
  );
  process.once('SIGTERM', async () => {
    await floor.close();
    await server.shutdown('bench done');
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
