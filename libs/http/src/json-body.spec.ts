import { checkJsonText, checkRequestLine } from './json-body';

describe('checkJsonText (the edge limit on caller JSON)', () => {
  const nest = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;

  it('accepts up to the limit, refuses beyond it, iteratively (no stack use)', () => {
    expect(checkJsonText(nest(64))).toBeNull();
    expect(checkJsonText(nest(65))?.code).toBe('json_too_deep');
    expect(checkJsonText(nest(1_000_000))?.code).toBe('json_too_deep');
    expect(checkJsonText(`{"a":${nest(10)},"b":${nest(60)}}`)).toBeNull();
  });

  it('ignores brackets and escaped quotes inside strings', () => {
    expect(checkJsonText(JSON.stringify({ s: '['.repeat(500), t: '"{'.repeat(300) }))).toBeNull();
  });

  it('finds NUL escapes in values and keys, not an escaped backslash followed by u0000', () => {
    expect(checkJsonText(JSON.stringify({ a: 'x\u0000' }))?.code).toBe('nul_character');
    expect(checkJsonText(JSON.stringify({ ['k\u0000']: 1 }))?.code).toBe('nul_character');
    expect(checkJsonText(JSON.stringify({ a: '\\u0000' }))).toBeNull();
    expect(checkJsonText(JSON.stringify({ a: '\\\u0000' }))?.code).toBe('nul_character');
  });

  it('checkRequestLine refuses %00 anywhere in the URL, and TRACE', () => {
    expect(checkRequestLine('GET', '/data?view=a%00')?.code).toBe('nul_character');
    expect(checkRequestLine('GET', '/data?view=a%2500')).toBeNull();
    expect(checkRequestLine('TRACE', '/')?.status).toBe(405);
  });
});
