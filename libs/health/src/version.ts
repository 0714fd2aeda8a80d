import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read once from package.json (works from sources and from dist/). */
function readVersion(): string {
  for (const rel of ['../../../package.json', '../../../../../package.json', '../../../../package.json']) {
    const p = join(__dirname, rel);
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'athena-gateway' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0';
}

export const ATHENA_VERSION = readVersion();
