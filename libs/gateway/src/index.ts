export * from './gateway.module';
export * from './gateway.service';
export * from './write-events';
