import { parseCacheControl, setCacheHeaders } from './cache-request';
import { isPlainRead } from './sql-classify';

describe('parseCacheControl', () => {
  it.each([
    [undefined, true, true],
    ['', true, true],
    ['max-age=60', true, true],
    ['no-cache', false, true],
    ['No-Cache', false, true],
    ['max-age=0', false, true],
    ['no-store', false, false],
    ['no-cache, no-store', false, false],
    [['private', 'no-store'], false, false],
  ])('%j → read %s, write %s', (h, read, write) => {
    expect(parseCacheControl(h as string | string[] | undefined)).toEqual({ read, write });
  });
});

describe('setCacheHeaders', () => {
  it('sets the outcome, and the tier only on a hit', () => {
    const h: Record<string, string> = {};
    const reply = { header: (k: string, v: string) => (h[k] = v) };
    setCacheHeaders(reply, 'hit', 'redis');
    expect(h).toEqual({ 'X-Athena-Cache': 'hit', 'X-Athena-Cache-Tier': 'redis' });
    const m: Record<string, string> = {};
    setCacheHeaders({ header: (k: string, v: string) => (m[k] = v) }, 'miss', 'none');
    expect(m).toEqual({ 'X-Athena-Cache': 'miss' });
  });
});

describe('isPlainRead', () => {
  it.each([
    ['SELECT id FROM items', 'SELECT', true],
    ['SELECT \'delete me\' AS note, "update" FROM t -- insert', 'SELECT', true],
    ['SHOW search_path', 'SHOW', true],
    ['WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d', 'SELECT', false],
    ['SELECT * INTO copy_items FROM items', 'SELECT', false],
    ['SELECT * FROM items FOR UPDATE', 'SELECT', false],
    ["SELECT nextval('items_id_seq')", 'SELECT', false],
    ['UPDATE items SET qty = 1', 'UPDATE', false],
    ['TRUNCATE items', 'TRUNCATE', false],
    ['CREATE TABLE t (id int)', 'CREATE', false],
    // Literal-looking text must not hide code: a '--' inside a string is no comment, an E'' escape no terminator.
    ["WITH a AS (SELECT '--'), d AS (DELETE FROM items RETURNING *) SELECT * FROM d", 'SELECT', false],
    ["WITH a AS (SELECT E'\\'' AS q), d AS (DELETE FROM items RETURNING *) SELECT * FROM d", 'SELECT', false],
    ["WITH a AS (SELECT '/*' AS q), d AS (DELETE FROM items RETURNING *) SELECT '*/' FROM d", 'SELECT', false],
    ['SELECT $x$ delete $x$, $$update$$ AS t /* a /* nested */ insert */ FROM items', 'SELECT', true],
    ["SELECT e'it\\'s' AS word, 'O''Brien' AS name", 'SELECT', true],
  ])('%s → %s', (sql, command, read) => {
    expect(isPlainRead(sql, command)).toBe(read);
  });
});
