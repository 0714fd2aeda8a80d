import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { parseCacheControl, setCacheHeaders } from '@athena/cache';
import { ANONYMOUS, CallOutcome, firstValue, GatewayCall, Principal } from '@athena/common';

const CALL = Symbol.for('athena.call');
const UNAUTHENTICATED: Principal = Object.freeze({ context: ANONYMOUS });
const TRIM = { trim: true };
const DIRECT_HEADERS = ['x-pg-uri', 'x-jdbc-url', 'x-athena-jdbc-url'] as const;

interface Carrier {
  [CALL]?: GatewayCall;
}

type Headers = FastifyRequest['headers'];

function nonEmpty(v: string | string[] | undefined): string | null {
  return firstValue(v) || null;
}

function trimmed(v: string | string[] | undefined): string | null {
  return firstValue(v, TRIM) || null;
}

function directUri(h: Headers): string | null {
  for (const name of DIRECT_HEADERS) {
    const s = firstValue(h[name], TRIM);
    if (s) return s;
  }
  return null;
}

/** The one place an HTTP request becomes a GatewayCall (memoized on the request). */
export function httpCall(req: FastifyRequest): GatewayCall {
  const memo = (req as Carrier)[CALL];
  if (memo) return memo;
  const h = req.headers;
  const call: GatewayCall = {
    requestId: req.id,
    client: trimmed(h['x-athena-client']),
    target: {
      directUri: directUri(h),
      supabaseUrl: firstValue(h['x-supabase-url']),
      supabaseKey: firstValue(h['x-supabase-key']),
    },
    principal: UNAUTHENTICATED, // set by authentication (the auth hook)
    cache: parseCacheControl(h['cache-control']),
    stripNulls: firstValue(h['x-strip-nulls']),
    tenant: {
      userId: nonEmpty(h['x-user-id']),
      companyId: nonEmpty(h['x-company-id']),
      organizationId: nonEmpty(h['x-organization-id']),
    },
    deadline: null,
    origin: {
      transport: 'http',
      method: req.method,
      url: req.url,
      ip: req.ip ?? null,
      userAgent: nonEmpty(h['user-agent']),
      host: nonEmpty(h.host),
    },
  };
  (req as Carrier)[CALL] = call;
  return call;
}

/** The factory behind `@Call()` (direct routes recognise the decorator by it). */
export const callParamFactory = (_: unknown, ctx: ExecutionContext): GatewayCall =>
  httpCall(ctx.switchToHttp().getRequest<FastifyRequest>());

/** Handler parameter: the request's GatewayCall. */
export const Call = createParamDecorator(callParamFactory);

/** The part of the HTTP reply a controller touches when it maps an outcome (no Fastify types in feature libs). */
export interface HttpReply {
  header(name: string, value: string): unknown;
  code(status: number): unknown;
}

/** Maps an application outcome to the HTTP status and headers; returns the body to serialize. */
export function respond<T>(reply: HttpReply, o: CallOutcome<T>): T {
  if (o.status !== 200) reply.code(o.status);
  if (o.cache) setCacheHeaders(reply, o.cache.outcome, o.cache.tier);
  if (o.truncated) reply.header('x-athena-truncated', 'true');
  if (o.json !== undefined) {
    // Already serialized: Fastify sends a string body with a JSON content type as it is.
    reply.header('content-type', 'application/json; charset=utf-8');
    return o.json as unknown as T;
  }
  return o.body;
}
