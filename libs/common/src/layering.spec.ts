import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The application layer is transport-free (docs/architecture.md): these libraries import nothing from Fastify.
 * Only the edge adapters (libs/http, the auth guard, apps/) may.
 */
const TRANSPORT_FREE = ['gateway', 'sql', 'cache', 'observability'];
const FASTIFY = /(?:from\s+|require\(\s*|import\(\s*)['"](?:fastify|@fastify\/[^'"]+|@nestjs\/platform-fastify)['"]/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it.each(TRANSPORT_FREE)('libs/%s imports nothing from Fastify', (lib) => {
    const root = join(__dirname, '..', '..', lib, 'src');
    const files = sources(root);
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.filter((f) => FASTIFY.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the rule catches an import of Fastify', () => {
    expect(FASTIFY.test("import type { FastifyRequest } from 'fastify';")).toBe(true);
    expect(FASTIFY.test("import { RouteConfig } from '@nestjs/platform-fastify';")).toBe(true);
    expect(FASTIFY.test("import { GatewayCall } from '@athena/common';")).toBe(false);
  });
});
