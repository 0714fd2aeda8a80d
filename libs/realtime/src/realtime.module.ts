import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CatalogModule } from '@athena/catalog';
import { GatewayModule } from '@athena/gateway';
import { HealthModule } from '@athena/health';
import { ConnectionRegistry } from './connection-registry';
import { EventBus } from './event-bus';
import { ADMIT_ALL, FRAME_ADMISSION } from './frame-admission';
import { FrameDispatcher } from './frame-dispatcher';
import { RealtimeMetrics } from './realtime-metrics';
import { WssController } from './wss.controller';
import { WssServer } from './wss.server';

/**
 * The WebSocket gateway (`/wss/gateway`), live subscriptions and the connection registry. FRAME_ADMISSION
 * defaults to admitting every frame; the admission module overrides the provider.
 */
@Module({
  imports: [AuthModule, CatalogModule, GatewayModule, HealthModule],
  controllers: [WssController],
  providers: [
    RealtimeMetrics, ConnectionRegistry, EventBus, FrameDispatcher, WssServer,
    { provide: FRAME_ADMISSION, useValue: ADMIT_ALL },
  ],
  exports: [ConnectionRegistry, EventBus, FRAME_ADMISSION],
})
export class RealtimeModule {}
