import { stripNullFields } from './rows';

describe('stripNullFields', () => {
  it('drops null-valued keys into new objects and leaves the input alone', () => {
    const rows = [
      { id: 1, a: null, b: 0, c: '', d: false, e: { x: null } },
      { id: 2, a: 'x' },
    ];
    const out = stripNullFields(rows);
    expect(out).toEqual([
      { id: 1, b: 0, c: '', d: false, e: { x: null } },
      { id: 2, a: 'x' },
    ]);
    expect(out[0]).not.toBe(rows[0]);
    expect(rows[0]).toHaveProperty('a', null);
  });

  it('copies an own __proto__ key as data, not as a prototype', () => {
    const row = JSON.parse('{"__proto__": {"polluted": true}, "x": null}') as Record<string, unknown>;
    const [out] = stripNullFields([row]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
