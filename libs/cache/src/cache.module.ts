import { Module } from '@nestjs/common';
import { GatewayCacheInterceptor } from './gateway-cache.interceptor';
import { ResponseCacheService } from './response-cache.service';

/** The two-tier response cache (imported by the gateway module; needs config and observability, both global). */
@Module({ providers: [ResponseCacheService, GatewayCacheInterceptor], exports: [ResponseCacheService, GatewayCacheInterceptor] })
export class CacheModule {}
