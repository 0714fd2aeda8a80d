import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AdminClientsModule } from '@athena/admin-clients';
import { AdmissionModule } from '@athena/admission';
import { ApiKeysModule } from '@athena/api-keys';
import { AuthModule } from '@athena/auth';
import { BackupsModule } from '@athena/backups';
import { AthenaConfig, AthenaConfigModule } from '@athena/config';
import { DeferredModule } from '@athena/deferred';
import { GatewayModule } from '@athena/gateway';
import { HealthModule } from '@athena/health';
import { AthenaExceptionFilter } from '@athena/http';
import { ObservabilityModule } from '@athena/observability';
import { PipelinesModule } from '@athena/pipelines';
import { RealtimeModule } from '@athena/realtime';
import { SqlModule } from '@athena/sql';
import type { ControlPlaneTarget } from '@athena/store';

export interface AppModuleOptions {
  config: AthenaConfig;
  controlPlane: ControlPlaneTarget;
  rootLogger: PinoLogger;
}

/** Composition root: wires the capability libraries together. No logic lives here. */
@Module({})
export class AppModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AthenaConfigModule.forRoot(opts.config, { controlPlane: opts.controlPlane }),
        LoggerModule.forRoot({
          // nestjs-pino provides Nest's logger on top of our root pino instance. Its per-request middleware
          // (a child logger per request) is not mounted: request lines come from the onResponse hook and the
          // gateway_trace event, which carry the request id themselves — cheaper on the hot path.
          pinoHttp: { logger: opts.rootLogger, autoLogging: false },
          forRoutes: [],
        }),
        ObservabilityModule.forRoot(opts.rootLogger),
        HealthModule,
        GatewayModule,
        SqlModule,
        AuthModule,
        ApiKeysModule,
        BackupsModule,
        AdminClientsModule,
        AdmissionModule,
        DeferredModule,
        RealtimeModule,
        PipelinesModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AthenaExceptionFilter }],
    };
  }
}
