import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootApp, call } from './support/app';
import { createTestDatabase, describeWith, serviceUrl } from './support/services';

describe('logging: file sinks and secret redaction', () => {
  it('writes non-error events to success.log, errors to error.log, and never logs URI passwords or query keys', async () => {
    const db = await createTestDatabase('obs_logs');
    const app = await bootApp({
      logging: { file_sinks: true },
      gateway: { logging_pg_uri: db.uri, pool: { connection_timeout_ms: 500 } },
      postgres_clients: { main: db.uri, broken: 'postgresql://athena:s3cr3t-pw@127.0.0.1:1/none' },
    });
    const dir = app.server.config.logging.directory;
    try {
      await call(`${app.url}/ping?api_key=ath_public.supersecretvalue`);
      // A 5xx gateway call (backend down) is an error-level gateway_trace line.
      await call(`${app.url}/gateway/fetch`, {
        method: 'POST',
        headers: { 'x-athena-client': 'broken' },
        json: { table_name: 't' },
      });
      await call(`${app.url}/gateway/query`, {
        method: 'POST',
        headers: { 'x-athena-client': 'main' },
        json: { query: 'SELECT 1 AS one' },
      });
    } finally {
      await app.close();
      await db.drop();
    }
    await new Promise((r) => setTimeout(r, 200));
    const success = readFileSync(join(dir, 'success.log'), 'utf8');
    const errors = readFileSync(join(dir, 'error.log'), 'utf8');
    expect(existsSync(join(dir, 'success.log'))).toBe(true);
    const successLevels = success
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).level as number);
    const errorLevels = errors
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).level as number);
    expect(successLevels.length).toBeGreaterThan(3);
    expect(Math.max(...successLevels)).toBeLessThan(50);
    expect(errorLevels.length).toBeGreaterThan(0);
    expect(Math.min(...errorLevels)).toBeGreaterThanOrEqual(50);
    expect(success).toContain('"route":"/ping"');
    expect(success).toContain('api_key=[REDACTED]');
    for (const text of [success, errors, app.logs.text()]) {
      expect(text).not.toContain('s3cr3t-pw');
      expect(text).not.toContain('supersecretvalue');
      expect(text).not.toContain(':postgres@'); // the test databases' password
    }
  });
});

describeWith('redis')('health with Redis configured', () => {
  it('reports Redis up, and /health 200 "degraded" (not 503) when only Redis is unreachable (issue 16 item 6)', async () => {
    const db = await createTestDatabase('obs_redis');
    const up = await bootApp({ gateway: { logging_pg_uri: db.uri }, redis: { url: serviceUrl('redis') } });
    const down = await bootApp({
      gateway: { logging_pg_uri: db.uri, run_migrations: false },
      redis: { url: 'redis://127.0.0.1:1' },
    });
    try {
      const ok = await call(`${up.url}/health`);
      expect(ok.status).toBe(200);
      expect(ok.body.details.redis).toMatchObject({ status: 'up' });
      expect(ok.body.status).toBe('ok');
      const bad = await call(`${down.url}/health`);
      expect(bad.status).toBe(200);
      expect(bad.body.status).toBe('degraded');
      expect(bad.body.error.redis).toMatchObject({ status: 'down' });
      expect(bad.body.details.redis).toMatchObject({ status: 'down' });
      expect(bad.body.details.control_plane.status).toBe('up');
      // The gateway still serves without Redis.
      expect((await call(`${down.url}/ready`)).status).toBe(200);
    } finally {
      await up.close();
      await down.close();
      await db.drop();
    }
  });
});
