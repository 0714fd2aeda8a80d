import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { WriteEvents } from './write-events';

@Module({
  imports: [AuthModule, CacheModule, CatalogModule],
  controllers: [GatewayController],
  providers: [GatewayService, WriteEvents],
  exports: [GatewayService, WriteEvents],
})
export class GatewayModule {}
