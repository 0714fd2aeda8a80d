import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../../..');
const LIBS = join(ROOT, 'libs');
/** Only these modules may be global; every other module imports what it uses. */
const ALLOWED_GLOBAL = ['libs/config/src/config.module.ts', 'libs/observability/src/observability.module.ts'];

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : moduleFiles(p);
    return e.name.endsWith('.module.ts') ? [p] : [];
  });
}

describe('global modules', () => {
  const files = moduleFiles(LIBS)
    .map((p) => relative(ROOT, p).split('\\').join('/'))
    .sort();

  it('finds the library modules', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        ...ALLOWED_GLOBAL,
        'libs/store/src/store.module.ts',
        'libs/drivers/src/drivers.module.ts',
      ]),
    );
  });

  it('only the config and observability modules are @Global (or global: true)', () => {
    const global = files.filter((f) => {
      const src = readFileSync(join(ROOT, f), 'utf8');
      return /@Global\s*\(/.test(src) || /\bglobal\s*:\s*true\b/.test(src);
    });
    expect(global).toEqual([...ALLOWED_GLOBAL].sort());
  });
});
