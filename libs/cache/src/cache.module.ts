import { Module } from '@nestjs/common';
import { ResponseCacheService } from './response-cache.service';

/** The two-tier response cache (imported by the gateway and sql modules; needs only config and observability, both global). */
@Module({ providers: [ResponseCacheService], exports: [ResponseCacheService] })
export class CacheModule {}
