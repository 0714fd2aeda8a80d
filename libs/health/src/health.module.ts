import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '@athena/auth';
import { CatalogModule } from '@athena/catalog';
import { DriversModule } from '@athena/drivers';
import { StoreModule } from '@athena/store';
import { ClusterHealthController } from './cluster-health.controller';
import { ClusterHealthService } from './cluster-health.service';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';
import { RedisProbe } from './redis-probe.service';
import { RootController } from './root.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AuthModule, StoreModule, CatalogModule, DriversModule],
  controllers: [RootController, HealthController, ClusterHealthController],
  providers: [LifecycleService, RedisProbe, ClusterHealthService],
  exports: [LifecycleService],
})
export class HealthModule {}
