import { Module } from '@nestjs/common';
import { AdmissionModule, AdmissionService } from '@athena/admission';
import { AuthModule } from '@athena/auth';
import { CatalogModule } from '@athena/catalog';
import { GatewayModule } from '@athena/gateway';
import { HealthModule } from '@athena/health';
import { ConnectionRegistry } from './connection-registry';
import { EventBus } from './event-bus';
import { admissionForFrames, FRAME_ADMISSION } from './frame-admission';
import { FrameDispatcher } from './frame-dispatcher';
import { RealtimeMetrics } from './realtime-metrics';
import { WssController } from './wss.controller';
import { WssServer } from './wss.server';

/**
 * The WebSocket gateway (`/wss/gateway`), live subscriptions and the connection registry. Frames are admitted by
 * the same AdmissionService as HTTP requests (FRAME_ADMISSION).
 */
@Module({
  imports: [AdmissionModule, AuthModule, CatalogModule, GatewayModule, HealthModule],
  controllers: [WssController],
  providers: [
    RealtimeMetrics,
    ConnectionRegistry,
    EventBus,
    FrameDispatcher,
    WssServer,
    { provide: FRAME_ADMISSION, inject: [AdmissionService], useFactory: admissionForFrames },
  ],
  exports: [ConnectionRegistry, EventBus, FRAME_ADMISSION],
})
export class RealtimeModule {}
