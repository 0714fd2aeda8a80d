import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, TestDatabase } from './support/services';

/** Clients from config.yaml and from the athena_clients table, resolved from the in-memory registry. */
describe('client catalog', () => {
  let control: TestDatabase;
  let data: TestDatabase;
  let cp: Client;
  const apps: TestApp[] = [];
  const fetchAs = (app: TestApp, client: string) =>
    call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': client },
      json: { table_name: 'pets' },
    });

  beforeAll(async () => {
    control = await createTestDatabase('catalog_control');
    data = await createTestDatabase('catalog_data');
    const d = new Client({ connectionString: data.uri });
    await d.connect();
    await d.query(`CREATE TABLE pets (id int PRIMARY KEY, name text); INSERT INTO pets VALUES (1, 'rex');`);
    await d.end();
    cp = new Client({ connectionString: control.uri });
    await cp.connect();
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    await cp?.end();
    await data?.drop();
    await control?.drop();
    delete process.env.ATHENA_TEST_CATALOG_URI;
  });

  it('seeds config clients without duplicates and routes table clients with their flags', async () => {
    const config = { gateway: { logging_pg_uri: control.uri }, postgres_clients: { main: data.uri, Second: data.uri } };
    const first = await bootApp(config);
    apps.push(first);
    await waitFor(async () => (await cp.query(`SELECT count(*)::int AS n FROM athena_clients`)).rows[0].n === 2);

    process.env.ATHENA_TEST_CATALOG_URI = data.uri;
    await cp.query(
      `INSERT INTO athena_clients (client_name, pg_uri, pg_uri_env_var, is_active, is_frozen, deleted_at, source) VALUES
        ('by_uri', $1, NULL, true, false, NULL, 'database'),
        ('by_env', NULL, 'ATHENA_TEST_CATALOG_URI', true, false, NULL, 'database'),
        ('frozen_one', $1, NULL, true, true, NULL, 'database'),
        ('inactive_one', $1, NULL, false, false, NULL, 'database'),
        ('deleted_one', $1, NULL, true, false, now(), 'database')`,
      [data.uri],
    );
    await cp.query(`UPDATE athena_clients SET is_frozen = true WHERE client_name = 'Second'`);

    // A second instance boots on the same control plane: no duplicate seeds, and it sees the table's clients.
    const second = await bootApp(config);
    apps.push(second);
    await waitFor(async () => (await fetchAs(second, 'by_uri')).status === 200);
    const rows = (
      await cp.query(
        `SELECT lower(client_name) AS n, source, last_synced_from_config_at IS NOT NULL AS synced FROM athena_clients ORDER BY 1`,
      )
    ).rows;
    expect(rows.filter((r) => r.n === 'main')).toEqual([{ n: 'main', source: 'config', synced: true }]);
    expect(rows.filter((r) => r.n === 'second')).toHaveLength(1);

    expect((await fetchAs(second, 'by_uri')).body.data).toEqual([{ id: 1, name: 'rex' }]);
    expect((await fetchAs(second, 'BY_ENV')).status).toBe(200); // names are case-insensitive
    const frozen = await fetchAs(second, 'frozen_one');
    expect(frozen.status).toBe(403);
    expect(frozen.body.code).toBe('client_frozen');
    const frozenConfig = await fetchAs(second, 'second');
    expect(frozenConfig.body.code).toBe('client_frozen');
    const inactive = await fetchAs(second, 'inactive_one');
    expect(inactive.status).toBe(403);
    expect(inactive.body.code).toBe('client_inactive');
    const deleted = await fetchAs(second, 'deleted_one');
    expect(deleted.status).toBe(404);
    expect(deleted.body.code).toBe('invalid_client');
    const malformed = await fetchAs(second, 'bad name!');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('invalid_client');
    expect((await fetchAs(second, 'main')).status).toBe(200);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
