import { applyDecorators, SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { TableAction } from './rights';

/** How a route is protected; resolved per request by the one global AuthGuard. */
export type AuthPolicy =
  | { kind: 'public' }
  | { kind: 'admin' }
  /** `by: 'guard'`: checked by the HTTP guard; `'service'`: the application service authorizes the call itself. */
  | { kind: 'right'; right: string; by: 'guard' | 'service' }
  /** Right derived from the parsed target table (`T.<action>`); the application service authorizes it. */
  | { kind: 'table'; action: TableAction };

export const AUTH_POLICY = 'athena:auth-policy';
/** Key of the policy in the Fastify route config, read by the pre-body-parsing authentication hook. */
export const AUTH_ROUTE_CONFIG = 'athenaAuth';

/**
 * The policy as Nest metadata (read by the guard) and, on methods, as Fastify route config (read by the
 * onRequest hook, so authentication happens before the body is parsed). Class-level use works too: the
 * guard honours it, and the hook falls back to the path policy.
 */
function policy(p: AuthPolicy): ClassDecorator & MethodDecorator {
  const meta = SetMetadata(AUTH_POLICY, p);
  const route = applyDecorators(RouteConfig({ [AUTH_ROUTE_CONFIG]: p }));
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      meta(target, key!, descriptor);
      route(target, key!, descriptor);
      return descriptor;
    }
    (meta as ClassDecorator)(target as never);
    return target;
  }) as ClassDecorator & MethodDecorator;
}

/** Static admin key only (`ATHENA_KEY_12`). */
export const AdminOnly = (): ClassDecorator & MethodDecorator => policy({ kind: 'admin' });

/**
 * A gateway API key holding `right` (or the admin key), when enforcement applies. `by: 'service'` when the
 * route's application service calls AuthorizationService itself (so every transport gets the same check).
 */
export const RequiresRight = (right: string, by: 'guard' | 'service' = 'guard'): ClassDecorator & MethodDecorator =>
  policy({ kind: 'right', right, by });

/**
 * A gateway API key holding `<table>.<action>` (schema-qualified table → `gateway.<action>`). Authentication
 * runs at the edge; the application service authorizes on the parsed table (AuthorizationService.authorizeTable).
 */
export const RequiresTableRight = (action: TableAction): ClassDecorator & MethodDecorator =>
  policy({ kind: 'table', action });

/** Explicitly open (no credential read), even under a protected path prefix. */
export const PublicRoute = (): ClassDecorator & MethodDecorator => policy({ kind: 'public' });

const ADMIN: AuthPolicy = { kind: 'admin' };
const GATEWAY_QUERY: AuthPolicy = { kind: 'right', right: 'gateway.query', by: 'guard' };
const GATEWAY_ALL: AuthPolicy = { kind: 'right', right: 'gateway.*', by: 'guard' };

/**
 * Safety net for routes without a decorator (reference §1.6): `/admin/*`, `/clients`, `/schema/clients` need
 * the admin key; `/query/sql` needs `gateway.query`; any other undecorated `/gateway/*`, `/pipelines*` or
 * `/management/*` route needs the strict `gateway.*` right. Everything else is open.
 */
export function pathPolicy(route: string): AuthPolicy | null {
  if (route === '/admin' || route.startsWith('/admin/') || route === '/clients' || route === '/schema/clients')
    return ADMIN;
  if (route === '/query/sql') return GATEWAY_QUERY;
  if (route.startsWith('/gateway/') || route.startsWith('/pipelines') || route.startsWith('/management/'))
    return GATEWAY_ALL;
  return null;
}
