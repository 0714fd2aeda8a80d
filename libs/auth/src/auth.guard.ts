import { CanActivate, ExecutionContext, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayCall, setAuthContext } from '@athena/common';
import { httpCall } from '@athena/http';
import { AUTH_POLICY, AUTH_ROUTE_CONFIG, AuthPolicy, pathPolicy } from './auth.decorators';
import { ADMIN_CONTEXT, AuthPrincipal, isAuthPrincipal } from './auth-principal';
import { AuthenticationService } from './authentication.service';
import { AuthorizationService } from './authorization.service';
import { extractKeyCandidates } from './key-extraction';

export { ADMIN_CONTEXT } from './auth-principal';
export { configuredAdminKey } from './authentication.service';

/**
 * The HTTP edge of authentication and authorization:
 * 1. an `onRequest` hook — BEFORE the body is parsed (an unauthenticated caller with a bad body gets 401, not
 *    400, and its body is never read) — turns the request into its GatewayCall, reads the presented
 *    credentials, and authenticates (AuthenticationService) under the route's policy;
 * 2. `canActivate` (the one global guard) — admin routes need the admin principal; `@RequiresRight(r)` routes
 *    are authorized here; table-right and `by: 'service'` routes are authorized by their application service on
 *    the parsed request (AuthorizationService), the same check the WebSocket dispatcher and the worker call.
 * The guard authenticates itself when the hook did not (other adapters, direct calls). The fast path (cached
 * enforcement flag and key) is synchronous in both stages.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
  private readonly byRoute = new Map<string, AuthPolicy | null>();
  private readonly declared = new WeakMap<object, { cls: object; policy: AuthPolicy | undefined }>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authn: AuthenticationService,
    private readonly authz: AuthorizationService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** Installs stage 1 as an onRequest hook (Fastify resolves route hooks at ready, so this covers every route). */
  onModuleInit(): void {
    const instance = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!instance || typeof instance.addHook !== 'function') return;
    instance.addHook('onRequest', (req, _reply, done) => {
      let out: void | Promise<void>;
      try {
        out = this.early(req);
      } catch (e) {
        done(e as Error);
        return;
      }
      if (!(out instanceof Promise)) {
        done();
        return;
      }
      out.then(
        () => done(),
        (e: Error) => done(e),
      );
    });
  }

  private early(req: FastifyRequest): void | Promise<void> {
    const url = req.routeOptions?.url;
    if (url === undefined) return; // no route matched: 404 follows
    const declared = (req.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[
      AUTH_ROUTE_CONFIG
    ] as AuthPolicy | undefined;
    const policy = declared ?? this.pathPolicyCached(url);
    if (policy === null || policy.kind === 'public') return;
    return this.authenticate(req, policy);
  }

  /** Authenticates the request's call under `policy`; its principal is set on the call. */
  private authenticate(req: FastifyRequest, policy: AuthPolicy): void | Promise<void> {
    const call = httpCall(req);
    const p = this.authn.authenticate(call, policy, extractKeyCandidates(req.headers, req.url));
    if (!(p instanceof Promise)) return established(req, call, p);
    return p.then((s) => established(req, call, s));
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const handler = ctx.getHandler() as (...args: never[]) => unknown;
    return this.activateHttp(ctx.switchToHttp().getRequest<FastifyRequest>(), handler, ctx.getClass());
  }

  /** `canActivate` for an HTTP request served by `handler` of `cls` (also the direct routes' guard, @athena/http). */
  activateHttp(
    req: FastifyRequest,
    handler: (...args: never[]) => unknown,
    cls: new (...args: never[]) => unknown,
  ): boolean | Promise<boolean> {
    const policy = this.policyFor(handler, cls, req);
    if (policy === null || policy.kind === 'public') return true;
    const call = httpCall(req);
    // Authenticated by the hook unless the hook's policy and the decorator disagree (an admin route must have
    // seen the admin key) or the hook did not run.
    const ready =
      isAuthPrincipal(call.principal) &&
      (policy.kind !== 'admin' || (call.principal as AuthPrincipal).kind === 'admin');
    if (ready) return this.authorize(req, call, policy);
    const st = this.authenticate(req, policy);
    if (st instanceof Promise) return st.then(() => this.authorize(req, call, policy));
    return this.authorize(req, call, policy);
  }

  private authorize(req: FastifyRequest, call: GatewayCall, policy: AuthPolicy): boolean {
    if (policy.kind === 'admin') {
      setAuthContext(req, ADMIN_CONTEXT);
      return true;
    }
    if (policy.kind === 'right' && policy.by === 'guard') this.authz.authorize(call, policy.right);
    return true;
  }

  private policyFor(
    handler: (...args: never[]) => unknown,
    cls: new (...args: never[]) => unknown,
    req: FastifyRequest,
  ): AuthPolicy | null {
    // The decorators' policy, read once per handler (metadata lookups are not free on every request).
    let memo = this.declared.get(handler);
    if (!memo || memo.cls !== cls) {
      memo = { cls, policy: this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [handler, cls]) };
      this.declared.set(handler, memo);
    }
    if (memo.policy) return memo.policy;
    return this.pathPolicyCached(req.routeOptions?.url ?? req.url.split('?')[0]);
  }

  private pathPolicyCached(route: string): AuthPolicy | null {
    let p = this.byRoute.get(route);
    if (p === undefined) {
      p = pathPolicy(route);
      if (this.byRoute.size < 1000) this.byRoute.set(route, p);
    }
    return p;
  }
}

/** The principal goes on the call; its context is also left on the request for edge code that reads it. */
function established(req: FastifyRequest, call: GatewayCall, p: AuthPrincipal): void {
  call.principal = p;
  setAuthContext(req, p.context);
}
