import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';

@Module({ imports: [AuthModule, CacheModule, CatalogModule], controllers: [GatewayController], providers: [GatewayService], exports: [GatewayService] })
export class GatewayModule {}
