import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AthenaError } from './athena-error';
import { defineErrors, errorCatalogue } from './error-catalogue';

const LIBS = join(__dirname, '..', '..');
const CATALOGUE_FILES = new Set(['errors.ts', 'athena-error.ts', 'error-catalogue.ts']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts') && !CATALOGUE_FILES.has(name)) out.push(p);
  }
  return out;
}

describe('error catalogues', () => {
  it("a raiser builds the entry's error: status and code from the catalogue, detail defaulting to the message, Retry-After", () => {
    const E = defineErrors('spec', {
      busy: { code: 'spec_busy', status: 503, meaning: 'busy', retryAfter: 7 },
      bad: { code: 'spec_bad', status: 400, meaning: 'bad' },
    });
    const busy = E.busy('Busy');
    expect(busy).toBeInstanceOf(AthenaError);
    expect([busy.status, busy.code, busy.message, busy.detail, busy.headers]).toEqual([
      503,
      'spec_busy',
      'Busy',
      'Busy',
      { 'Retry-After': '7' },
    ]);
    expect(E.busy('Busy', 'later', undefined, { 'Retry-After': '1' }).headers).toEqual({ 'Retry-After': '1' });
    expect(E.bad('Bad', 'fix it', { field: 'x' })).toMatchObject({
      status: 400,
      code: 'spec_bad',
      detail: 'fix it',
      extra: { field: 'x' },
      headers: {},
    });
    expect(
      errorCatalogue()
        .filter((e) => e.library === 'spec')
        .map((e) => e.code),
    ).toEqual(['spec_bad', 'spec_busy']);
  });

  it('throw sites name a catalogue entry: no literal code with a status outside the catalogues', () => {
    const literal = /AthenaError\.(?:badRequest|notFound|unavailable)\(\s*['"`]|new AthenaError\(\s*\d{3}\s*,\s*['"`]/;
    const offenders: string[] = [];
    for (const lib of readdirSync(LIBS)) {
      const src = join(LIBS, lib, 'src');
      if (!existsSync(src)) continue;
      for (const f of sources(src)) {
        readFileSync(f, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (literal.test(line)) offenders.push(`${f.slice(LIBS.length + 1)}:${i + 1}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every library catalogue is well formed: snake_case codes, 4xx/5xx statuses, a meaning, no duplicate entry', async () => {
    for (const lib of readdirSync(LIBS)) {
      const f = join(LIBS, lib, 'src', 'errors.ts');
      if (existsSync(f)) await import(f);
    }
    const all = errorCatalogue().filter((e) => e.library !== 'spec');
    expect(new Set(all.map((e) => e.library)).size).toBeGreaterThanOrEqual(8);
    const seen = new Set<string>();
    for (const e of all) {
      expect(e.code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(e.status >= 400 && e.status < 600).toBe(true);
      expect(e.meaning.trim().length).toBeGreaterThan(5);
      const id = `${e.library}:${e.code}:${e.status}`;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
    // A code keeps one meaning of its status across libraries: the same code never maps to a 4xx in one and a 5xx in another.
    const classes = new Map<string, Set<number>>();
    for (const e of all) classes.set(e.code, (classes.get(e.code) ?? new Set()).add(Math.floor(e.status / 100)));
    expect([...classes].filter(([, s]) => s.size > 1).map(([c]) => c)).toEqual([]);
  });
});
