import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, describeWith, TestDatabase, testTempDir } from './support/services';

/** Pipelines across two PostgreSQL clients, templates from a YAML file (map and list forms). */
describeWith('postgres')('pipelines (real app, two PostgreSQL clients)', () => {
  let app: TestApp;
  let control: TestDatabase;
  let src: TestDatabase;
  let dst: TestDatabase;
  let dpg: Client;
  const dir = testTempDir('athena-pipelines-');
  const file = join(dir, 'pipelines.yaml');
  const post = (path: string, json: unknown, client = 'source') =>
    call(`${app.url}${path}`, { method: 'POST', headers: { 'x-athena-client': client }, json });

  beforeAll(async () => {
    control = await createTestDatabase('pipe_control');
    src = await createTestDatabase('pipe_src');
    dst = await createTestDatabase('pipe_dst');
    const s = new Client({ connectionString: src.uri });
    await s.connect();
    await s.query(`CREATE TABLE events (id serial PRIMARY KEY, kind text, value integer, created_at timestamptz);
      INSERT INTO events (kind, value, created_at) VALUES ('a', 1, '2024-01-01T01:00:00Z'), ('a', 2, '2024-01-01T02:00:00Z'), ('b', 5, '2024-01-02T03:00:00Z');`);
    await s.end();
    dpg = new Client({ connectionString: dst.uri });
    await dpg.connect();
    await dpg.query(`CREATE TABLE events_copy (id integer PRIMARY KEY, kind text, value integer, created_at timestamptz);
      CREATE TABLE rollup (kind text, row_count integer, value numeric);`);
    writeFileSync(
      file,
      `pipelines:
  copy_events:
    source: { table_name: events, columns: [id, kind, value, created_at] }
    sink: { table_name: events_copy, client: dest }
  rollup_by_kind:
    source: { table_name: events }
    transform: { group_by: kind, aggregation_column: value }
    sink: { table_name: rollup, client: dest }
`,
    );
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, pipelines_path: file },
      postgres_clients: { source: src.uri, dest: dst.uri },
    });
  });

  afterAll(async () => {
    await app?.close();
    await dpg?.end();
    for (const d of [dst, src, control]) await d?.drop();
  });

  it('lists the templates (map form)', async () => {
    const r = await call(`${app.url}/pipelines/templates`, { headers: { 'x-athena-client': 'source' } });
    expect(r.status).toBe(200);
    expect(
      r.body.templates.map((t: any) => [t.name, t.source_table, t.sink_table, t.has_transform, t.sink_client]),
    ).toEqual([
      ['copy_events', 'events', 'events_copy', false, 'dest'],
      ['rollup_by_kind', 'events', 'rollup', true, 'dest'],
    ]);
  });

  it('simulate writes nothing; a run copies across clients atomically; inline fields override the template', async () => {
    const sim = await post('/pipelines/simulate', { pipeline: 'copy_events' });
    expect(sim.status).toBe(200);
    expect(sim.body).toMatchObject({
      rows_fetched: 3,
      rows_inserted: 0,
      dry_run: true,
      would_insert: 3,
      source_client: 'source',
      sink_client: 'dest',
    });
    expect((await dpg.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n).toBe(0);
    const run = await post('/pipelines', {
      pipeline: 'copy_events',
      source: { conditions: [{ eq_column: 'kind', eq_value: 'a' }] },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ rows_fetched: 2, rows_inserted: 2, errors: [] });
    expect((await dpg.query('SELECT id, kind FROM events_copy ORDER BY id')).rows).toEqual([
      { id: 1, kind: 'a' },
      { id: 2, kind: 'a' },
    ]);
  });

  it('transform: one row per group with the aggregation', async () => {
    const run = await post('/pipelines', { pipeline: 'rollup_by_kind' });
    expect(run.status).toBe(200);
    expect((await dpg.query('SELECT kind, row_count, value::int AS value FROM rollup ORDER BY kind')).rows).toEqual([
      { kind: 'a', row_count: 2, value: 3 },
      { kind: 'b', row_count: 1, value: 5 },
    ]);
  });

  it('unknown template → 400; sink column mismatch → 400 and nothing written', async () => {
    const unknown = await post('/pipelines', { pipeline: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('unknown_pipeline');
    const before = (await dpg.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n;
    const bad = await post('/pipelines', {
      source: { table_name: 'events' },
      transform: { column_aliases: { value: 'not_a_column' } },
      sink: { table_name: 'events_copy', client: 'dest' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('unknown_column');
    expect((await dpg.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n).toBe(before);
  });

  it('wrongly typed fields → 400, nothing run (a wrong type is refused, never ignored)', async () => {
    const before = (await dpg.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ pipeline: {} }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', source: 'events' }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', sink: [] }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', dry_run: 'no' }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', sink: { client: 'not a client' } }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', sink: { table_name: '' } }, 'invalid_pipeline'],
      [{ pipeline: 'copy_events', sink: { table_name: 'a b' } }, 'invalid_identifier'],
      [{ pipeline: 'copy_events', transform: { group_by: '' } }, 'invalid_identifier'],
      [{ pipeline: 'copy_events', transform: { group_by: 'kind', column_aliases: [] } }, 'invalid_pipeline'],
    ];
    for (const [body, code] of cases) {
      const r = await post('/pipelines', body);
      expect([JSON.stringify(body), r.status, r.body.code]).toEqual([JSON.stringify(body), 400, code]);
    }
    const templates = await call(`${app.url}/pipelines/templates`, { headers: { 'x-athena-client': '{}' } });
    expect([templates.status, templates.body.code]).toEqual([400, 'invalid_client']);
    expect((await dpg.query('SELECT count(*)::int AS n FROM events_copy')).rows[0].n).toBe(before);
  });

  it('accepts the list form of the templates file', async () => {
    writeFileSync(
      file,
      `pipelines:\n  - name: listed\n    source: { table_name: events }\n    sink: { table_name: events_copy }\n`,
    );
    const r = await call(`${app.url}/pipelines/templates`, { headers: { 'x-athena-client': 'source' } });
    expect(r.body.templates.map((t: any) => t.name)).toEqual(['listed']);
  });
});
