import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admissionDeferral, deferRequested, EXPLICIT_DEFER_ROUTES, isAdmissionRoute } from '@athena/admission';
import { firstValue } from '@athena/common';
import { httpCall } from '@athena/http';
import { DeferredService } from './deferred.service';
import { DeferredErrors } from './errors';

/**
 * The HTTP deferral stage: a `preHandler` hook (after authentication and body parsing, before the handler) that
 * queues the call and answers 202 when the caller sent `X-Athena-Defer: true` on /gateway/query or
 * /gateway/fetch, or when admission decided to defer it (see AdmissionHttpEdge). Everything else passes through.
 */
@Injectable()
export class DeferredHttpEdge implements OnModuleInit {
  constructor(
    private readonly deferred: DeferredService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const instance = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!instance || typeof instance.addHook !== 'function') return;
    instance.addHook('preHandler', (req, reply, done) => {
      const mark = admissionDeferral(req);
      const header = req.headers['x-athena-defer'];
      if (mark === undefined && header === undefined) {
        done();
        return;
      }
      const route = req.routeOptions?.url;
      if (route === undefined || !isAdmissionRoute(route)) {
        done();
        return;
      }
      const explicit = deferRequested(firstValue(header));
      if (mark === undefined) {
        if (!explicit) {
          done();
          return;
        }
        if (!EXPLICIT_DEFER_ROUTES.has(route)) {
          done(
            DeferredErrors.deferredQueryNotSupported(
              'Deferral not supported here',
              `X-Athena-Defer is accepted on ${[...EXPLICIT_DEFER_ROUTES].join(', ')} only`,
            ),
          );
          return;
        }
      }
      this.submit(req, reply, route, mark !== undefined && !explicit ? 'admission' : 'requested', done);
    });
  }

  private submit(
    req: FastifyRequest,
    reply: FastifyReply,
    route: string,
    cause: 'requested' | 'admission',
    done: (e?: Error) => void,
  ): void {
    this.deferred.submit(httpCall(req), route, req.body, cause).then(
      (o) => {
        const data = o.body.data as { status_url: string };
        reply.code(o.status).header('location', data.status_url).send(o.body);
      },
      (e: Error) => done(e),
    );
  }
}
