export * from './client-catalog.service';
export * from './catalog.module';
