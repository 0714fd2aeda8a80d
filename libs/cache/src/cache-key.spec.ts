import { ANONYMOUS, authContext, setAuthContext } from '@athena/common';
import { parseDataQuery, parseFetchPayload } from '@athena/query';
import { buildCacheKey, tableId } from './cache-key';

const opts = { camelToSnake: false, maxRows: 1000 };
const q = (body: Record<string, unknown>) => parseFetchPayload({ table_name: 'items', ...body }, opts);
const key = (over: Partial<Parameters<typeof buildCacheKey>[0]> = {}) =>
  buildCacheKey({
    client: 'main',
    scope: 'anon',
    generation: 'r0.0',
    query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }] }),
    camelToSnake: false,
    ...over,
  });

describe('buildCacheKey', () => {
  it('keeps the readable head <table>:<first eq column>:<value>:<16 hex>', () => {
    expect(key()).toMatch(/^items:id:7:[0-9a-f]{16}$/);
    expect(
      buildCacheKey({ client: 'main', scope: 'anon', generation: 'r0.0', query: q({}), camelToSnake: false }),
    ).toMatch(/^items:::[0-9a-f]{16}$/);
    const odd = buildCacheKey({
      client: 'main',
      scope: 'anon',
      generation: 'r0.0',
      query: q({ conditions: [{ eq_column: 'name', eq_value: 'a b:c\nd' }] }),
      camelToSnake: false,
    });
    expect(odd).toMatch(/^items:name:a_b_c_d:[0-9a-f]{16}$/);
  });

  it('is stable for the same inputs, and the same for equivalent GET /data and POST fetch requests', () => {
    expect(key()).toBe(key());
    const viaGet = parseDataQuery({ view: 'items', eq_column: 'id', eq_value: '7' }, opts);
    const viaPost = q({ conditions: [{ eq_column: 'id', eq_value: '7' }] });
    const k = (query: typeof viaGet) =>
      buildCacheKey({ client: 'main', scope: 'anon', generation: 'r0.0', query, camelToSnake: false });
    expect(k(viaGet)).toBe(k(viaPost));
  });

  it.each([
    ['client', { client: 'other' }],
    ['rights scope', { scope: 'k:abc' }],
    ['generation', { generation: 'r0.1' }],
    ['case toggle', { camelToSnake: true }],
    ['condition value', { query: q({ conditions: [{ eq_column: 'id', eq_value: 8 }] }) }],
    ['columns', { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], columns: ['id'] }) }],
    [
      'sort',
      { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], sort_by: { field: 'id', direction: 'desc' } }) },
    ],
    ['limit', { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], limit: 5 }) }],
    ['offset', { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], offset: 5 }) }],
    ['strip nulls', { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], strip_nulls: true }) }],
    ['post-processing', { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], group_by: 'name' }) }],
    ['operator', { query: q({ conditions: [{ column: 'id', operator: 'gte', value: 7 }] }) }],
    [
      'table',
      { query: parseFetchPayload({ table_name: 'other.items', conditions: [{ eq_column: 'id', eq_value: 7 }] }, opts) },
    ],
    [
      'page state (ScyllaDB paging)',
      { query: q({ conditions: [{ eq_column: 'id', eq_value: 7 }], page_state: '0a0b0c' }) },
    ],
  ])('changes with the %s', (_what, over) => {
    expect(key(over as Partial<Parameters<typeof buildCacheKey>[0]>)).not.toBe(key());
  });

  it('covers every field of the parsed request (a new AST field must be added to the key)', () => {
    // The fields the key hashes; when FetchQuery grows a field, this list and buildCacheKey must grow with it.
    const covered = [
      'kind',
      'table',
      'columns',
      'conditions',
      'sort',
      'limit',
      'offset',
      'probeTruncation',
      'stripNulls',
      'postProcessing',
      'pageState',
    ];
    const full = q({
      conditions: [{ eq_column: 'id', eq_value: 7 }],
      columns: ['id'],
      page_state: '0a0b0c',
      group_by: 'name',
    });
    for (const field of Object.keys(full)) expect(covered).toContain(field);
  });

  it('never shares an entry between callers with different rights scopes (auth context on the request)', () => {
    const reqA = {};
    const reqB = {};
    const reqC = {};
    setAuthContext(reqB, { kind: 'api_key', apiKeyId: 'b', publicId: 'pb', rights: ['items.read'], scope: 'k:111' });
    setAuthContext(reqC, {
      kind: 'api_key',
      apiKeyId: 'c',
      publicId: 'pc',
      rights: ['items.read', 'x.read'],
      scope: 'k:222',
    });
    expect(authContext(reqA)).toBe(ANONYMOUS);
    const forReq = (req: object) => key({ scope: authContext(req).scope });
    const keys = new Set([forReq(reqA), forReq(reqB), forReq(reqC), key({ scope: 'admin' })]);
    expect(keys.size).toBe(4);
    const reqB2 = {};
    setAuthContext(reqB2, { kind: 'api_key', apiKeyId: 'b2', publicId: 'pb2', rights: ['items.read'], scope: 'k:111' });
    expect(forReq(reqB2)).toBe(forReq(reqB)); // same scope → may share
  });

  it("resolves an unqualified table in the backend's namespace, so both spellings share one key", () => {
    expect(tableId({ schema: null, name: 'events' }, 'app_ks')).toBe('app_ks.events');
    expect(tableId({ schema: 'other', name: 'events' }, 'app_ks')).toBe('other.events');
    const k = (table: string, namespace?: string) =>
      buildCacheKey({
        client: 'c',
        scope: 'anon',
        generation: 'r0.0',
        query: parseFetchPayload({ table_name: table }, opts),
        camelToSnake: false,
        namespace,
      });
    expect(k('events', 'app_ks').split(':').pop()).toBe(k('app_ks.events', 'app_ks').split(':').pop());
    expect(k('events', 'app_ks')).not.toBe(k('events', 'other_ks'));
  });

  it('treats an unqualified table as public.<name>', () => {
    expect(tableId({ schema: null, name: 'items' })).toBe('public.items');
    expect(tableId({ schema: 'public', name: 'items' })).toBe('public.items');
    expect(tableId({ schema: 'other', name: 'items' })).toBe('other.items');
  });
});
