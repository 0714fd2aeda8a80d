import { createClient } from '@xylex-group/athena';
import { Client } from 'pg';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase } from './support/services';

type Row = { id: number; name: string; qty: number | null; tags: string[] | null };
type Envelope = { status: string; data: any; count?: number };

/**
 * The published SDK @xylex-group/athena 0.2.1, unmodified, against the real gateway. 0.2.1 does not unwrap
 * the envelope: `result.data` is the whole body, so rows are at `result.data.data` (reference athena-js §3).
 */
describe('@xylex-group/athena 0.2.1 against the gateway', () => {
  let app: TestApp;
  let control: { uri: string; drop(): Promise<void> };
  let data: { uri: string; drop(): Promise<void> };
  let pg: Client;

  beforeAll(async () => {
    control = await createTestDatabase('sdk_control');
    data = await createTestDatabase('sdk_data');
    pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query(`
      CREATE TABLE conformance_items (id bigserial PRIMARY KEY, name text UNIQUE NOT NULL, qty integer, flag boolean, tags text[]);
      INSERT INTO conformance_items (id, name, qty, flag, tags) VALUES
        (1, 'a', 1, true, '{red,blue}'), (2, 'b', 2, false, '{red}'), (3, 'c', 3, NULL, '{}'), (4, 'd', 4, true, NULL), (5, 'e', NULL, NULL, '{blue}');
      SELECT setval('conformance_items_id_seq', 100);`);
    app = await bootApp({ gateway: { logging_pg_uri: control.uri }, postgres_clients: { sdk: data.uri } });
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    await data?.drop();
    await control?.drop();
  });

  const client = () => createClient(app.url, 'unused-key', { client: 'sdk' });
  const rows = (res: { status: number; data: unknown }) => {
    expect(res.status).toBe(200);
    const env = res.data as Envelope;
    expect(env.status).toBe('success');
    return (env.data as Row[]).map((r) => r.id).sort((x, y) => x - y);
  };

  it('select(), columns as string and array, limit/offset/range', async () => {
    expect(rows(await client().from<Row>('conformance_items').select())).toEqual([1, 2, 3, 4, 5]);
    const proj = await client().from<Row>('conformance_items').eq('id', 1).select(['id', 'name']);
    expect((proj.data as unknown as Envelope).data).toEqual([{ id: 1, name: 'a' }]);
    expect(rows(await client().from('conformance_items').eq('id', 2).select('id,name'))).toEqual([2]);
    expect((await client().from('conformance_items').limit(2).select()).data).toMatchObject({ count: 2 });
    expect((await client().from('conformance_items').range(1, 3).select()).data).toMatchObject({ count: 3 });
  });

  it.each([
    ['eq', (b: any) => b.eq('qty', 2), [2]],
    ['neq', (b: any) => b.neq('qty', 2), [1, 3, 4]],
    ['gt/gte/lt/lte', (b: any) => b.gt('qty', 1).gte('qty', 2).lt('qty', 4).lte('qty', 3), [2, 3]],
    ['like', (b: any) => b.like('name', 'c%'), [3]],
    ['ilike', (b: any) => b.ilike('name', 'D'), [4]],
    ['in', (b: any) => b.in('qty', [1, 3]), [1, 3]],
    ['is null', (b: any) => b.is('qty', null), [5]],
    ['is true', (b: any) => b.is('flag', true), [1, 4]],
    ['match', (b: any) => b.match({ qty: 4, name: 'd' }), [4]],
    ['contains', (b: any) => b.contains('tags', ['red']), [1, 2]],
    ['containedBy', (b: any) => b.containedBy('tags', ['red', 'blue']), [1, 2, 3, 5]],
    ['not (column, op, value)', (b: any) => b.not('qty', 'eq', 2), [1, 3, 4]],
    ['not (expression)', (b: any) => b.not('qty.is.null'), [1, 2, 3, 4]],
    ['not in', (b: any) => b.not('qty', 'in', [1, 2]), [3, 4]],
    ['or', (b: any) => b.or('qty.eq.1,qty.eq.4'), [1, 4]],
    ['or with is null', (b: any) => b.or('qty.is.null,name.eq.a'), [1, 5]],
  ])('filter %s', async (_name, build, expected) => {
    expect(rows(await build(client().from('conformance_items')).select())).toEqual(expected);
  });

  it('single() and maybeSingle() send the same request as select()', async () => {
    const s = await client().from<Row>('conformance_items').eq('id', 3).single('id,name');
    expect(s.status).toBe(200);
    expect((s.data as unknown as Envelope).data).toEqual([{ id: 3, name: 'c' }]);
    const m = await client().from<Row>('conformance_items').eq('id', 999).maybeSingle();
    expect((m.data as unknown as Envelope).data).toEqual([]);
  });

  it('insert (object and array), upsert, update and delete', async () => {
    const one = await client()
      .from<Partial<Row>>('conformance_items')
      .insert({ name: 'sdk-1', qty: 7, tags: ['x'] });
    expect(one.status).toBe(200);
    expect((one.data as unknown as Envelope).data).toMatchObject({ name: 'sdk-1', qty: 7, tags: ['x'] });

    const many = await client()
      .from<Partial<Row>>('conformance_items')
      .insert([
        { name: 'sdk-2', qty: 1 },
        { name: 'sdk-3', qty: null },
      ])
      .select('id,name');
    expect(many.status).toBe(200);
    expect((many.data as unknown as Envelope).count).toBe(2);

    const up = await client()
      .from<Partial<Row>>('conformance_items')
      .upsert({ id: 1, name: 'a' }, { onConflict: 'id', updateBody: { qty: 100 } })
      .select();
    expect(up.status).toBe(200);
    expect((up.data as unknown as Envelope).data).toMatchObject({ id: 1, qty: 100 });
    const merge = await client()
      .from<Partial<Row>>('conformance_items')
      .upsert([{ name: 'sdk-1', qty: 8 }], { onConflict: ['name'] });
    expect(merge.status).toBe(200);
    expect((await pg.query(`SELECT qty FROM conformance_items WHERE name = 'sdk-1'`)).rows[0].qty).toBe(8);

    const upd = await client().from<Row>('conformance_items').eq('name', 'sdk-2').gt('qty', 0).update({ qty: 10 });
    expect(upd.status).toBe(200);
    expect((upd.data as unknown as Envelope).count).toBe(1);
    expect((await pg.query(`SELECT qty FROM conformance_items WHERE name = 'sdk-2'`)).rows[0].qty).toBe(10);

    const unfiltered = await client().from<Row>('conformance_items').update({ qty: 0 });
    expect(unfiltered.status).toBe(400);
    expect(unfiltered.error).toBeTruthy();
    expect((await pg.query(`SELECT count(*)::int AS n FROM conformance_items WHERE qty = 0`)).rows[0].n).toBe(0);

    const id = (await pg.query(`SELECT id FROM conformance_items WHERE name = 'sdk-3'`)).rows[0].id as number;
    const byId = await client().from<Row>('conformance_items').eq('id', id).delete();
    expect(byId.status).toBe(200);
    expect((byId.data as unknown as Envelope).count).toBe(1);
    const byFilter = await client().from<Row>('conformance_items').like('name', 'sdk-%').gt('qty', 5).delete();
    expect(byFilter.status).toBe(200);
    expect((byFilter.data as unknown as Envelope).count).toBe(2);
  });

  it("errors surface as the SDK's error string", async () => {
    const r = await createClient(app.url, '', { client: 'sdk' }).from('no_such_table').select();
    expect(r.status).toBe(404);
    expect(r.error).toContain('no_such_table');
    const noClient = await createClient(app.url, '', { client: '' }).from('conformance_items').select();
    expect(noClient.status).toBe(400);
    expect((noClient.raw as { code: string }).code).toBe('missing_client_header');
  });
});

describe('camelCase → snake_case toggle', () => {
  let app: TestApp;
  let control: { uri: string; drop(): Promise<void> };
  let data: { uri: string; drop(): Promise<void> };

  beforeAll(async () => {
    control = await createTestDatabase('camel_control');
    data = await createTestDatabase('camel_data');
    const pg = new Client({ connectionString: data.uri });
    await pg.connect();
    await pg.query(`CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL, total_value int);
      INSERT INTO orders VALUES (1, '2024-01-01T00:00:00Z', 5), (2, '2024-01-02T00:00:00Z', 7);`);
    await pg.end();
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri, force_camel_case_to_snake_case: true },
      postgres_clients: { camel: data.uri },
    });
  });

  afterAll(async () => {
    await app?.close();
    await data?.drop();
    await control?.drop();
  });

  it('normalises columns, conditions, sort and post-processing names', async () => {
    const r = await call(`${app.url}/gateway/fetch`, {
      method: 'POST',
      headers: { 'x-athena-client': 'camel' },
      json: {
        table_name: 'orders',
        columns: ['id', 'totalValue', 'CreatedAt'],
        conditions: [{ column: 'totalValue', operator: 'gt', value: 1 }],
        sortBy: { field: 'createdAt', direction: 'desc' },
        group_by: 'createdAt',
        time_granularity: 'day',
        aggregation_column: 'TotalValue',
        aggregation_strategy: 'cumulative_sum',
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.map((x: { id: number }) => x.id)).toEqual([2, 1]);
    expect(Object.keys(r.body.data[0]).sort()).toEqual(['created_at', 'id', 'total_value']);
    expect(r.body.post_processing.grouped.map((g: { aggregation: { value: number } }) => g.aggregation.value)).toEqual([
      5, 12,
    ]);
  });
});
