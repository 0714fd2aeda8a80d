export * from './metrics.service';
export * from './metrics.controller';
export * from './gateway-log-writer';
export * from './logger';
export * from './trace';
export * from './observability.module';
export * from './call-accounting';
export * from './counter-batch';
