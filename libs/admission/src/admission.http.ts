import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AthenaError, firstValue } from '@athena/common';
import { isDirectConnectionRequest } from '@athena/drivers';
import { AdmissionDecision, AdmissionService, deferRequested, EXPLICIT_DEFER_ROUTES } from './admission.service';
import { AdmissionErrors } from './errors';

const DEFER_MARK = Symbol.for('athena.admission.defer');

interface Marked {
  [DEFER_MARK]?: AdmissionDecision;
}

/** The admission decision `deferred` left on a request by the onRequest hook (read by the deferral stage). */
export function admissionDeferral(req: object): AdmissionDecision | undefined {
  return (req as Marked)[DEFER_MARK];
}

/** Calls that can only run inline: direct URIs and custom Supabase credentials (a secret the queue never stores). */
export function inlineOnly(headers: FastifyRequest['headers']): boolean {
  return (
    isDirectConnectionRequest(headers) ||
    firstValue(headers['x-supabase-key']) !== undefined ||
    firstValue(headers['x-supabase-url']) !== undefined
  );
}

/**
 * The HTTP edge of admission: an `onRequest` hook, so an over-budget call costs no body parsing, no
 * authentication lookup and no pool. The hook is installed when this provider is constructed — before any
 * module's `onModuleInit` — so it runs ahead of the authentication hook (AuthGuard installs its hook in
 * onModuleInit); when no HTTP adapter exists yet (e.g. a testing module), it is installed in onModuleInit.
 * Rejected → 429 + Retry-After + the error envelope; deferred → marked for the deferral stage (libs/deferred),
 * which answers 202 once the body is parsed and the caller authenticated.
 */
@Injectable()
export class AdmissionHttpEdge implements OnModuleInit {
  private installed = false;

  constructor(
    private readonly admission: AdmissionService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.install();
  }

  onModuleInit(): void {
    this.install();
  }

  private install(): void {
    if (this.installed || !this.admission.enabled) return;
    const instance = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!instance || typeof instance.addHook !== 'function') return;
    this.installed = true;
    instance.addHook('onRequest', (req, reply, done) => {
      const route = req.routeOptions?.url;
      if (route === undefined || !this.admission.applies(route)) {
        done();
        return;
      }
      const h = req.headers;
      const d = this.admission.check({
        route,
        client: firstValue(h['x-athena-client'])?.trim() || null,
        inlineOnly: inlineOnly(h),
        deferRequested: EXPLICIT_DEFER_ROUTES.has(route) && deferRequested(firstValue(h['x-athena-defer'])),
      });
      if (!(d instanceof Promise)) {
        this.apply(req, reply, d, done);
        return;
      }
      d.then(
        (x) => this.apply(req, reply, x, done),
        (e: Error) => done(e),
      );
    });
  }

  /** The refusal per (scope, seconds): built once, not per rejected call (an Error captures a stack trace). */
  private readonly rejections = new Map<string, AthenaError>();
  private rejection(scope: AdmissionDecision['scope'], secs: string): AthenaError {
    const key = `${scope}:${secs}`;
    let err = this.rejections.get(key);
    if (err === undefined) {
      err = AdmissionErrors.admissionRejected(
        'Too many requests',
        `Gateway admission limit reached (${scope === 'client' ? 'per-client' : 'global'} budget); retry after ${secs} s`,
      );
      if (this.rejections.size < 1000) this.rejections.set(key, err);
    }
    return err;
  }

  private apply(req: FastifyRequest, reply: FastifyReply, d: AdmissionDecision, done: (err?: Error) => void): void {
    if (d.outcome === 'admitted') {
      done();
      return;
    }
    if (d.outcome === 'deferred') {
      (req as Marked)[DEFER_MARK] = d;
      done();
      return;
    }
    const secs = String(d.retryAfterSecs);
    const err = this.rejection(d.scope, secs);
    reply
      .code(err.status)
      .header('retry-after', secs)
      .header('x-request-id', req.id)
      .send({
        status: 'error',
        code: err.code,
        message: err.message,
        error: err.detail,
        data: { retry_after_seconds: d.retryAfterSecs, scope: d.scope },
      });
  }
}
