export * from './health.module';
export * from './lifecycle.service';
export * from './version';
