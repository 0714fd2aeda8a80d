import { Module } from '@nestjs/common';
import { ResponseCacheService } from './response-cache.service';

/** The two-tier response cache (imported by the gateway module; needs config and observability, both global). */
@Module({ providers: [ResponseCacheService], exports: [ResponseCacheService] })
export class CacheModule {}
