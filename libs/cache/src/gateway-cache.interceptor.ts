import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { CacheRoute, cacheResult, parseCacheControl, setCacheDirective } from './cache-request';

const ROUTE_GROUPS: Record<string, CacheRoute> = { '/gateway/fetch': 'gateway_fetch', '/gateway/data': 'gateway_data', '/data': 'data' };

/**
 * The HTTP edge of the response cache on the read routes (`POST /gateway/fetch`, `POST /gateway/data`,
 * `GET /data`): turns `Cache-Control` into the request's cache directive before the handler runs, and after
 * it answers sets `X-Athena-Cache: hit|miss|bypass` (plus `X-Athena-Cache-Tier: memory|redis` on a hit).
 * The lookup itself runs in the gateway's fetch path (ResponseCacheService.lookup), between the one parse of
 * the payload and the single-flight in front of the database, so hits are logged like any other call.
 */
@Injectable()
export class GatewayCacheInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = ctx.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const route = ROUTE_GROUPS[req.routeOptions?.url ?? ''] ?? 'gateway_fetch';
    setCacheDirective(req, { route, ...parseCacheControl(req.headers['cache-control']) });
    return next.handle().pipe(
      tap(() => {
        const r = cacheResult(req);
        if (!r) return;
        const reply = http.getResponse<FastifyReply>();
        reply.header('X-Athena-Cache', r.outcome);
        if (r.tier !== 'none') reply.header('X-Athena-Cache-Tier', r.tier);
      }),
    );
  }
}
