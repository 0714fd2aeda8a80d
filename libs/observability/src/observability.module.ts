import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { StoreModule } from '@athena/store';
import {
  DEFAULT_LOG_WRITER_OPTIONS,
  GatewayLogWriter,
  LOG_WRITER_OPTIONS,
  LogWriterOptions,
} from './gateway-log-writer';
import { CallAccounting } from './call-accounting';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { GatewayTrace, ROOT_LOGGER } from './trace';

/** Metrics, logs and call accounting for every module: global, like the config module. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(rootLogger: PinoLogger, writer: Partial<LogWriterOptions> = {}): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [StoreModule],
      controllers: [MetricsController],
      providers: [
        MetricsService,
        GatewayLogWriter,
        GatewayTrace,
        CallAccounting,
        { provide: ROOT_LOGGER, useValue: rootLogger },
        { provide: LOG_WRITER_OPTIONS, useValue: { ...DEFAULT_LOG_WRITER_OPTIONS, ...writer } },
      ],
      exports: [MetricsService, GatewayLogWriter, GatewayTrace, CallAccounting, ROOT_LOGGER],
    };
  }
}
