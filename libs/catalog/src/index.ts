export * from './client-catalog.service';
export * from './catalog.module';
export * from './request-target.service';
