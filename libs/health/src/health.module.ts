import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ClusterHealthController } from './cluster-health.controller';
import { ClusterHealthService } from './cluster-health.service';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';
import { RedisProbe } from './redis-probe.service';
import { RootController } from './root.controller';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [RootController, HealthController, ClusterHealthController],
  providers: [LifecycleService, RedisProbe, ClusterHealthService],
  exports: [LifecycleService],
})
export class HealthModule {}
