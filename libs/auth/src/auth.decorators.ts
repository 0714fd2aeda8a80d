import { SetMetadata } from '@nestjs/common';
import type { TableAction } from './rights';

/** How a route is protected; resolved per request by the one global AuthGuard. */
export type AuthPolicy =
  | { kind: 'public' }
  | { kind: 'admin' }
  | { kind: 'right'; right: string }
  /** Right derived from the target table: `T.<action>` (table from body `table_name`/`view_name` or query `view`). */
  | { kind: 'table'; action: TableAction; from: 'body' | 'query' };

export const AUTH_POLICY = 'athena:auth-policy';

/** Static admin key only (`ATHENA_KEY_12`). */
export const AdminOnly = (): ClassDecorator & MethodDecorator => SetMetadata(AUTH_POLICY, { kind: 'admin' } satisfies AuthPolicy);

/** A gateway API key holding `right` (or the admin key), when enforcement applies. */
export const RequiresRight = (right: string): ClassDecorator & MethodDecorator => SetMetadata(AUTH_POLICY, { kind: 'right', right } satisfies AuthPolicy);

/** A gateway API key holding `<table>.<action>` (schema-qualified or missing table → `gateway.<action>`). */
export const RequiresTableRight = (action: TableAction, from: 'body' | 'query' = 'body'): ClassDecorator & MethodDecorator =>
  SetMetadata(AUTH_POLICY, { kind: 'table', action, from } satisfies AuthPolicy);

/** Explicitly open (no credential read), even under a protected path prefix. */
export const PublicRoute = (): ClassDecorator & MethodDecorator => SetMetadata(AUTH_POLICY, { kind: 'public' } satisfies AuthPolicy);

const ADMIN: AuthPolicy = { kind: 'admin' };
const GATEWAY_QUERY: AuthPolicy = { kind: 'right', right: 'gateway.query' };
const GATEWAY_ALL: AuthPolicy = { kind: 'right', right: 'gateway.*' };

/**
 * Safety net for routes without a decorator (reference §1.6): `/admin/*`, `/clients`, `/schema/clients` need
 * the admin key; `/query/sql` needs `gateway.query`; any other undecorated `/gateway/*`, `/pipelines*` or
 * `/management/*` route needs the strict `gateway.*` right. Everything else is open.
 */
export function pathPolicy(route: string): AuthPolicy | null {
  if (route === '/admin' || route.startsWith('/admin/') || route === '/clients' || route === '/schema/clients') return ADMIN;
  if (route === '/query/sql') return GATEWAY_QUERY;
  if (route.startsWith('/gateway/') || route.startsWith('/pipelines') || route.startsWith('/management/')) return GATEWAY_ALL;
  return null;
}
