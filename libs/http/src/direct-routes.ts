import { RequestMethod } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callParamFactory, httpCall } from './http-call';

/**
 * Direct routes: a few hot controller methods are served by a plain Fastify handler instead of Nest's router
 * proxy (guards consumer, pipes, interceptors consumer, response controller, exception zone: ~15–20 µs and a
 * dozen promises per request on Node 20, bench/README.md "Issue 15").
 *
 * The controller stays the one declaration of the route: Nest still registers it (path, route config, auth
 * policy, OpenAPI), and an `onRoute` hook swaps in the direct handler as Fastify adds it. Every Fastify hook
 * (authentication, admission, deferral, request id, metrics) runs as before; the direct handler does what Nest's
 * proxy does for such a method: the global guard, the status of `@HttpCode`, the arguments, the returned body,
 * and errors through the same envelope mapping as the global exception filter.
 *
 * Only methods whose parameters are all of `@Call()`, `@Body()` (untyped: the global ValidationPipe would skip
 * it anyway) and `@Res({ passthrough: true })`, with no method-level pipes, guards, interceptors, headers,
 * redirect or SSE, qualify; anything else is refused at boot with the reason, so a later change to the
 * controller cannot silently bypass a Nest feature.
 */
export interface DirectRouteTarget {
  /** The controller instance (from the Nest container). */
  controller: object;
  /** Name of the route method on the controller. */
  method: string;
}

export interface DirectRouteDeps {
  /** The global guard's check for this handler (throws or resolves false to refuse). */
  activate(
    req: FastifyRequest,
    handler: (...args: never[]) => unknown,
    cls: new (...args: never[]) => unknown,
  ): boolean | Promise<boolean>;
  /** Sends the error envelope for anything thrown (the global exception filter's mapping). */
  fail(err: unknown, req: FastifyRequest, reply: FastifyReply): void;
  /** What a guard that answers false throws (Nest: ForbiddenException). */
  refused(): unknown;
  /**
   * Checked once the app is initialised (global enhancers are registered by then): why the app-wide Nest setup
   * does not match what the direct handler reproduces (e.g. a global interceptor was added), or null.
   */
  unsupportedGlobals?(): string | null;
}

type ArgOf = (req: FastifyRequest, reply: FastifyReply) => unknown;

interface Plan {
  verb: string;
  url: string;
  label: string;
  run: (req: FastifyRequest, reply: FastifyReply) => void;
  installed: boolean;
}

const VERBS: Partial<Record<RequestMethod, string>> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.PATCH]: 'PATCH',
  [RequestMethod.DELETE]: 'DELETE',
};

function joinPath(...parts: Array<string | string[] | undefined>): string {
  const segs: string[] = [];
  for (const p of parts) {
    const s = Array.isArray(p) ? p[0] : p;
    if (!s || s === '/') continue;
    segs.push(s.replace(/^\/+|\/+$/g, ''));
  }
  return '/' + segs.filter(Boolean).join('/');
}

/** Reads the route's Nest metadata and builds its direct handler; throws (at boot) when the method does not qualify. */
export function planDirectRoute(target: DirectRouteTarget, deps: DirectRouteDeps): Plan {
  const cls = target.controller.constructor as new (...args: never[]) => unknown;
  const label = `${cls.name}.${target.method}`;
  const handler = (target.controller as Record<string, unknown>)[target.method];
  if (typeof handler !== 'function') throw new Error(`direct route ${label}: no such method`);
  const refuse = (why: string): never => {
    throw new Error(`direct route ${label}: ${why}; serve it through Nest's router instead`);
  };
  const verb = VERBS[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
  if (!verb) refuse('not an HTTP route method');
  for (const [key, what] of [
    [PIPES_METADATA, 'pipes'],
    [GUARDS_METADATA, 'guards'],
    [INTERCEPTORS_METADATA, 'interceptors'],
    [HEADERS_METADATA, '@Header()'],
    [REDIRECT_METADATA, '@Redirect()'],
    [SSE_METADATA, '@Sse()'],
  ] as const) {
    const onMethod = Reflect.getMetadata(key, handler) as unknown[] | undefined;
    const onClass = Reflect.getMetadata(key, cls) as unknown[] | undefined;
    if ((onMethod && (!Array.isArray(onMethod) || onMethod.length)) || (onClass && onClass.length))
      refuse(`it has ${what}`);
  }
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, target.method) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[]; factory?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', target.controller, target.method) ?? []) as unknown[];
  const passthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, cls, target.method) === true;
  const args: ArgOf[] = [];
  for (const [key, p] of Object.entries(params)) {
    if (p.pipes?.length) refuse(`parameter ${p.index} has pipes`);
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) {
      if (p.factory !== callParamFactory) refuse(`parameter ${p.index} is a custom decorator other than @Call()`);
      args[p.index] = httpCall;
      continue;
    }
    const type = Number(key.split(':')[0]) as RouteParamtypes;
    if (type === RouteParamtypes.BODY && p.data === undefined) {
      if (types[p.index] !== Object)
        refuse(`@Body() parameter ${p.index} is typed (the global ValidationPipe applies)`);
      args[p.index] = (req) => req.body;
    } else if (type === RouteParamtypes.RESPONSE && passthrough) {
      args[p.index] = (_req, reply) => reply;
    } else refuse(`parameter ${p.index} is not @Call(), @Body() or @Res({ passthrough: true })`);
  }
  for (let i = 0; i < args.length; i++) if (!args[i]) refuse(`parameter ${i} has no decorator`);
  const status = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
  const code = status ?? (verb === 'POST' ? 201 : 200);
  const fn = handler as (...a: unknown[]) => unknown;
  const { controller } = target;
  const n = args.length;

  const invoke = (req: FastifyRequest, reply: FastifyReply): unknown => {
    reply.code(code);
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) a[i] = args[i](req, reply);
    return fn.apply(controller, a);
  };
  const send = (body: unknown, reply: FastifyReply): void => {
    if (!reply.sent) reply.send(body);
  };
  const run = (req: FastifyRequest, reply: FastifyReply): void => {
    const fail = (e: unknown) => deps.fail(e, req, reply);
    try {
      const allowed = deps.activate(req, handler as never, cls);
      if (allowed instanceof Promise) {
        allowed
          .then((ok) => {
            if (!ok) throw deps.refused();
            return invoke(req, reply);
          })
          .then((b) => send(b, reply), fail);
        return;
      }
      if (!allowed) throw deps.refused();
      const out = invoke(req, reply);
      if (out instanceof Promise) out.then((b) => send(b, reply), fail);
      else send(out, reply);
    } catch (e) {
      fail(e);
    }
  };
  const url = joinPath(
    Reflect.getMetadata(PATH_METADATA, cls) as string,
    Reflect.getMetadata(PATH_METADATA, handler) as string,
  );
  return { verb: verb!, url, label, run, installed: false };
}

/**
 * Serves `targets` directly (see above). Call before Nest registers its routes (before `listen`/`init`);
 * boot fails if a target does not qualify or if Nest never registered its route.
 */
export function installDirectRoutes(
  fastify: FastifyInstance,
  targets: DirectRouteTarget[],
  deps: DirectRouteDeps,
): string[] {
  const plans = new Map<string, Plan>();
  for (const t of targets) {
    const p = planDirectRoute(t, deps);
    plans.set(`${p.verb} ${p.url}`, p);
  }
  fastify.addHook('onRoute', (route) => {
    if (Array.isArray(route.method)) return;
    const p = plans.get(`${route.method} ${route.url}`);
    if (!p) return;
    const run = p.run;
    route.handler = function directHandler(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      run(req, reply);
    };
    p.installed = true;
  });
  fastify.addHook('onReady', (done) => {
    const missing = [...plans.values()].filter((p) => !p.installed).map((p) => `${p.label} (${p.verb} ${p.url})`);
    if (missing.length) return done(new Error(`direct routes never registered by Nest: ${missing.join(', ')}`));
    const globals = deps.unsupportedGlobals?.() ?? null;
    done(globals ? new Error(`direct routes cannot reproduce the app's global Nest setup: ${globals}`) : undefined);
  });
  return [...plans.keys()];
}
