import { Module } from '@nestjs/common';
import { CacheModule } from '@athena/cache';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';

@Module({ imports: [CacheModule], controllers: [GatewayController], providers: [GatewayService] })
export class GatewayModule {}
