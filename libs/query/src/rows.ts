import type { Row } from './ast';

/** Drops top-level keys whose value is null. Returns new row objects; the input is not modified. */
export function stripNullFields(rows: Row[]): Row[] {
  const out = new Array<Row>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const copy: Row = {};
    for (const k in row) {
      const v = row[k];
      if (v === null) continue;
      if (k === '__proto__')
        Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
      else copy[k] = v;
    }
    out[i] = copy;
  }
  return out;
}
