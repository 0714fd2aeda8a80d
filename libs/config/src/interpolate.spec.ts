import { interpolateEnv, interpolateTree } from './interpolate';

describe('interpolateEnv', () => {
  const env = { A: 'alpha', EMPTY: '', PORT: '5000' };

  it('replaces a set variable', () => {
    expect(interpolateEnv('x-${A}-y', env)).toEqual({ text: 'x-alpha-y', missing: [], invalid: [] });
  });
  it('an unset variable becomes empty and is reported once', () => {
    expect(interpolateEnv('${NOPE}/${NOPE}', env)).toEqual({ text: '/', missing: ['NOPE'], invalid: [] });
  });
  it('a set-but-empty variable is not missing', () => {
    expect(interpolateEnv('[${EMPTY}]', env)).toEqual({ text: '[]', missing: [], invalid: [] });
  });
  it('${VAR:-default} uses the default when unset or empty, never reports missing', () => {
    expect(interpolateEnv('${NOPE:-d1} ${EMPTY:-d2} ${A:-d3} ${NOPE:-}', env)).toEqual({
      text: 'd1 d2 alpha ',
      missing: [],
      invalid: [],
    });
  });
  it('$${ escapes to a literal ${', () => {
    expect(interpolateEnv('$${A} and $${NOPE:-x}', env).text).toBe('${A} and ${NOPE:-x}');
    expect(interpolateEnv('$${A}', env).missing).toEqual([]);
  });
  it('leaves a lone $ and $$ alone (passwords)', () => {
    expect(interpolateEnv('pa$$word$1 $A', env).text).toBe('pa$$word$1 $A');
  });
  it('reports invalid references and keeps them', () => {
    expect(interpolateEnv('${1X} ${A', env)).toEqual({ text: '${1X} ${A', missing: [], invalid: ['${1X}', '${A'] });
  });
  it('numeric values stay strings (the schema coerces them)', () => {
    expect(interpolateEnv('${PORT:-4052}', env).text).toBe('5000');
    expect(interpolateEnv('${NOPE:-4052}', env).text).toBe('4052');
  });
});

describe('interpolateTree', () => {
  it('walks values (not keys) and reports paths of unset variables', () => {
    const tree = { '${A}': 'k', api: { port: '${PORT}', host: 1 }, list: ['${A}', '${GONE}'], n: null };
    const r = interpolateTree(tree, { A: 'a', PORT: '9' });
    expect(r.value).toEqual({ '${A}': 'k', api: { port: '9', host: 1 }, list: ['a', ''], n: null });
    expect(r.missing).toEqual([{ path: ['list', 1], name: 'GONE' }]);
  });
  it('a substituted value with YAML syntax cannot change structure', () => {
    const r = interpolateTree({ a: '${V}' }, { V: 'x\nb: {c: 1}' });
    expect(r.value).toEqual({ a: 'x\nb: {c: 1}' });
  });
});
