import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { GatewayModule } from '@athena/gateway';
import { StoreModule } from '@athena/store';
import { DeferredController } from './deferred.controller';
import { DeferredHttpEdge } from './deferred.http';
import { DeferredQueueRepository } from './deferred.repository';
import { DeferredService } from './deferred.service';
import { DeferredWorker } from './deferred.worker';

/** The deferred queue: submit (HTTP preHandler stage), status/requeue routes, and the worker. */
@Module({
  imports: [AuthModule, GatewayModule, StoreModule],
  controllers: [DeferredController],
  providers: [DeferredQueueRepository, DeferredService, DeferredWorker, DeferredHttpEdge],
  exports: [DeferredService, DeferredWorker],
})
export class DeferredModule {}
