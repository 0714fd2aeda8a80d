import { Test } from '@nestjs/testing';
import { AuthorizationService } from '@athena/auth';
import { ResponseCacheService } from '@athena/cache';
import { ANONYMOUS, AthenaError, GatewayCall } from '@athena/common';
import { ATHENA_CONFIG } from '@athena/config';
import { RequestTargetResolver } from '@athena/catalog';
import type { BackendDriver } from '@athena/drivers';
import { CallAccounting, CallRecord, MetricsService } from '@athena/observability';
import type { FetchQuery, InsertCommand } from '@athena/query';
import { GatewayService } from './gateway.service';

/**
 * GatewayService as an application service: no HTTP, no database. The collaborators are the ports it talks to
 * (target resolver → driver, cache, authorization, accounting), replaced by recording stand-ins.
 */
describe('GatewayService (transport-free)', () => {
  const calls: string[] = [];
  const denied = new Set<string>();
  const records: CallRecord[] = [];
  let stored: unknown[] = [];
  let cachedValue: unknown;
  const driver = {
    backend: 'postgres',
    clientName: 'main',
    defaultNamespace: () => 'public',
    fetch: async (q: FetchQuery) => {
      calls.push(`fetch ${q.table.name} limit=${q.limit}`);
      return {
        rows: [
          { id: 1, note: null },
          { id: 2, note: 'x' },
        ],
        truncated: false,
      };
    },
    insert: async (c: InsertCommand) => {
      calls.push(`insert ${c.table.name} ${c.rows.length}`);
      return { rows: c.rows, count: c.rows.length };
    },
    rawQuery: async (sql: string) => {
      calls.push(`raw ${sql}`);
      return { rows: [{ one: 1 }], rowCount: 1, command: 'SELECT' };
    },
  } as unknown as BackendDriver;
  let gateway: GatewayService;

  beforeAll(async () => {
    const mod = await Test.createTestingModule({
      providers: [
        GatewayService,
        MetricsService,
        { provide: ATHENA_CONFIG, useValue: { gateway: { force_camel_case_to_snake_case: false, max_rows: 1000 } } },
        {
          provide: RequestTargetResolver,
          useValue: {
            resolve: (c: GatewayCall) => {
              calls.push(`resolve ${c.client}`);
              return { driver, name: 'main', backend: 'postgres' };
            },
          },
        },
        {
          provide: AuthorizationService,
          useValue: {
            authorize: (_c: GatewayCall, right: string) => {
              calls.push(`authorize ${right}`);
              if (denied.has(right))
                throw new AthenaError(403, 'insufficient_api_key_rights', 'Insufficient API key rights');
            },
            authorizeTable(c: GatewayCall, action: string, t: { schema: string | null; name: string }) {
              this.authorize(c, t.schema ? `gateway.${action}` : `${t.name}.${action}`);
            },
          },
        },
        {
          provide: CallAccounting,
          useValue: {
            account: async (_c: GatewayCall, operation: string, fn: (r: CallRecord) => Promise<unknown>) => {
              const rec = { operation, client: null, backend: null, table: null } as CallRecord;
              try {
                return await fn(rec);
              } finally {
                records.push(rec);
              }
            },
          },
        },
        {
          provide: ResponseCacheService,
          useValue: {
            lookup: async () => ({
              key: 'items:k',
              outcome: cachedValue ? 'hit' : 'miss',
              tier: cachedValue ? 'memory' : 'none',
              value: cachedValue,
              store: (v: unknown) => stored.push(v),
            }),
            write: (_client: string, _t: unknown, _ns: string, run: () => Promise<unknown>) => run(),
          },
        },
      ],
    }).compile();
    gateway = mod.get(GatewayService);
  });

  beforeEach(() => {
    calls.length = 0;
    records.length = 0;
    denied.clear();
    stored = [];
    cachedValue = undefined;
  });

  const call = (over: Partial<GatewayCall> = {}): GatewayCall => ({
    requestId: 'r1',
    client: 'main',
    target: { directUri: null, supabaseUrl: undefined, supabaseKey: undefined },
    principal: { context: ANONYMOUS },
    cache: { read: true, write: true },
    stripNulls: undefined,
    tenant: { userId: null, companyId: null, organizationId: null },
    deadline: null,
    origin: { transport: 'worker', method: 'POST', url: '/gateway/fetch', ip: null, userAgent: null, host: null },
    ...over,
  });

  it('fetch: parse → authorize the parsed table → resolve → run; the outcome carries the cache report', async () => {
    const o = await gateway.fetch(call(), { table_name: 'items', limit: 5 });
    expect(calls).toEqual(['authorize items.read', 'resolve main', 'fetch items limit=5']);
    expect(o).toMatchObject({ status: 200, cache: { outcome: 'miss', tier: 'none', key: 'items:k' } });
    expect(o.body).toMatchObject({ status: 'success', count: 2, cache_key: 'items:k' });
    // The cache holds the serialized envelope (sent as is on a hit) and its row count.
    expect(stored).toEqual([{ rows: 2, json: JSON.stringify(o.body) }]);
    expect(o.json).toBe(JSON.stringify(o.body));
    expect(records[0]).toMatchObject({
      operation: 'fetch',
      client: 'main',
      table: 'items',
      rowsReturned: 2,
      cacheOutcome: 'miss',
    });
  });

  it('a schema-qualified table needs the gateway-wide right; a denied call never reaches the target or the driver', async () => {
    denied.add('gateway.read');
    await expect(gateway.fetch(call(), { table_name: 'audit.items' })).rejects.toMatchObject({ status: 403 });
    expect(calls).toEqual(['authorize gateway.read']);
    expect(records).toHaveLength(1); // the failure is still accounted for
  });

  it('an invalid payload is a 400 before authorization or any backend work', async () => {
    await expect(gateway.fetch(call(), { table_name: 'no such' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_identifier',
    });
    expect(calls).toEqual([]);
  });

  it('a cache hit answers from the cache without touching the driver', async () => {
    const envelope = { status: 'success', message: 'Fetched 1 row', data: [{ id: 1 }] };
    cachedValue = { rows: 1, json: JSON.stringify(envelope) };
    const o = await gateway.fetch(call(), { table_name: 'items' });
    expect(o).toMatchObject({ status: 200, cache: { outcome: 'hit', tier: 'memory', key: 'items:k' } });
    expect(o.json).toBe(JSON.stringify(envelope)); // the stored bytes, sent as they are
    expect(o.body).toEqual(envelope); // parsed only for transports that read the body
    expect(calls).toEqual(['authorize items.read', 'resolve main']);
    expect(records[0]).toMatchObject({ rowsReturned: 1, cacheOutcome: 'hit' });
  });

  it("the call's strip-nulls flag shapes the rows (the payload field wins)", async () => {
    const o = await gateway.fetch(call({ stripNulls: 'true' }), { table_name: 'items' });
    expect((o.body as { data: unknown }).data).toEqual([{ id: 1 }, { id: 2, note: 'x' }]);
    const p = await gateway.fetch(call({ stripNulls: 'true' }), { table_name: 'items', strip_nulls: false });
    expect((p.body as { data: unknown }).data).toEqual([
      { id: 1, note: null },
      { id: 2, note: 'x' },
    ]);
  });

  it('insert authorizes <table>.write; raw query needs gateway.query before anything runs', async () => {
    const o = await gateway.insert(call(), { table_name: 'items', insert_body: { id: 3 } });
    expect(o.body).toMatchObject({ status: 'success', count: 1, data: { id: 3 } });
    expect(calls).toEqual(['authorize items.write', 'resolve main', 'insert items 1']);
    calls.length = 0;
    denied.add('gateway.query');
    await expect(gateway.query(call(), { query: 'SELECT 1' })).rejects.toMatchObject({ status: 403 });
    expect(calls).toEqual(['authorize gateway.query']);
  });
});
