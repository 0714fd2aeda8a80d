import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package version, read once from the nearest package.json named `athena-gateway` above this file
 * (works from the sources, from dist/ and from an installed copy, whatever the build layout).
 */
function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'athena-gateway' && pkg.version) return pkg.version;
      } catch {
        /* unreadable package.json: keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}

export const ATHENA_VERSION = readVersion();
