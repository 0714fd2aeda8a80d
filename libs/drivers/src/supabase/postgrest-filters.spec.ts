import type { Filter } from '@athena/query';
import { applyFilters, FilterTarget } from './postgrest-filters';

/** Records the builder calls (pure: no supabase-js, no HTTP). */
class Calls implements FilterTarget<Calls> {
  readonly log: string[] = [];
  private add(s: string): Calls {
    this.log.push(s);
    return this;
  }
  eq(c: string, v: unknown) {
    return this.add(`eq ${c} ${JSON.stringify(v)}`);
  }
  neq(c: string, v: unknown) {
    return this.add(`neq ${c} ${JSON.stringify(v)}`);
  }
  gt(c: string, v: unknown) {
    return this.add(`gt ${c} ${JSON.stringify(v)}`);
  }
  gte(c: string, v: unknown) {
    return this.add(`gte ${c} ${JSON.stringify(v)}`);
  }
  lt(c: string, v: unknown) {
    return this.add(`lt ${c} ${JSON.stringify(v)}`);
  }
  lte(c: string, v: unknown) {
    return this.add(`lte ${c} ${JSON.stringify(v)}`);
  }
  like(c: string, v: string) {
    return this.add(`like ${c} ${v}`);
  }
  ilike(c: string, v: string) {
    return this.add(`ilike ${c} ${v}`);
  }
  is(c: string, v: boolean | null) {
    return this.add(`is ${c} ${v}`);
  }
  in(c: string, v: readonly unknown[]) {
    return this.add(`in ${c} ${JSON.stringify(v)}`);
  }
  contains(c: string, v: unknown) {
    return this.add(`contains ${c} ${JSON.stringify(v)}`);
  }
  containedBy(c: string, v: unknown) {
    return this.add(`containedBy ${c} ${JSON.stringify(v)}`);
  }
  not(c: string, op: string, v: unknown) {
    return this.add(`not ${c} ${op} ${v}`);
  }
  or(f: string) {
    return this.add(`or ${f}`);
  }
}

const run = (filters: Filter[]) => applyFilters(new Calls(), filters).log;

describe('applyFilters (AST → postgrest-js calls)', () => {
  it('maps eq/neq null to IS [NOT] NULL and JSON values to JSON text', () => {
    expect(
      run([
        { column: 'a', op: 'eq', value: null },
        { column: 'a', op: 'neq', value: null },
        { column: 'm', op: 'eq', value: { k: 1 } },
      ]),
    ).toEqual(['is a null', 'not a is null', 'eq m "{\\"k\\":1}"']);
  });

  it('negated conditions become not(column, op, raw value)', () => {
    expect(
      run([
        { column: 'a', op: 'in', value: [1, 'x,y', null], negate: true },
        { column: 't', op: 'contains', value: ['a b', 'c'], negate: true },
        { column: 'j', op: 'containedBy', value: { k: 'v' }, negate: true },
        { column: 'a', op: 'eq', value: null, negate: true },
      ]),
    ).toEqual(['not a in (1,"x,y",null)', 'not t cs {a b,c}', 'not j cd {"k":"v"}', 'not a is null']);
  });

  it('OR groups quote values with PostgREST reserved characters', () => {
    expect(
      run([
        {
          op: 'or',
          any: [
            { column: 'a', op: 'eq', value: 'x,y' },
            { column: 'b', op: 'like', value: 'a.(b)' },
            { column: 'c', op: 'is', value: null },
            { column: 'd', op: 'gt', value: 2, negate: true },
            { column: 'e', op: 'eq', value: 'say "hi"' },
            { column: 'f', op: 'in', value: [1, 2] },
          ],
        },
      ]),
    ).toEqual(['or a.eq."x,y",b.like."a.(b)",c.is.null,d.not.gt.2,e.eq."say \\"hi\\"",f.in.(1,2)']);
  });
});
