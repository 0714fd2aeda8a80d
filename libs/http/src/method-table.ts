import type { FastifyInstance } from 'fastify';
import type { AthenaError } from '@athena/common';
import { HttpErrors } from './errors';

/**
 * The methods each registered path serves, so a known path asked with another method answers 405 with `Allow`
 * (RFC 9110) instead of the router's 404 (or a body-parser 400 for methods such as QUERY).
 */
export class MethodTable {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** Records every route added to `fastify` from now on (call before the app registers its routes). */
  track(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      for (const m of Array.isArray(route.method) ? route.method : [route.method]) this.add(route.url, m);
    });
  }

  add(url: string, method: string): void {
    let methods = this.byUrl.get(url);
    if (!methods) {
      methods = new Set();
      this.byUrl.set(url, methods);
      this.routes.push({ pattern: toPattern(url), methods });
    }
    methods.add(method.toUpperCase());
  }

  /** The methods served on `path` (no query string), or null when no route has this path. */
  allowed(path: string): string[] | null {
    let out: Set<string> | null = null;
    for (const r of this.routes) {
      if (!r.pattern.test(path)) continue;
      out ??= new Set();
      for (const m of r.methods) out.add(m);
    }
    return out ? [...out].sort() : null;
  }

  /** 405 for a request the router found no route for, when its path exists under other methods; else null. */
  refusal(method: string, url: string): AthenaError | null {
    const q = url.indexOf('?');
    const allowed = this.allowed(q === -1 ? url : url.slice(0, q));
    if (!allowed || allowed.includes(method)) return null;
    return HttpErrors.methodNotAllowed(
      'Method not allowed',
      `${method.slice(0, 20)} is not served on this path; use ${allowed.join(', ')}`,
      undefined,
      {
        Allow: allowed.join(', '),
      },
    );
  }
}

function toPattern(url: string): RegExp {
  const body = url
    .split('/')
    .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}
