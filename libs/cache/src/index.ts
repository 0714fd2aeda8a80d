export * from './cache-key';
export * from './cache-metrics';
export * from './cache-request';
export * from './memory-tier';
export * from './redis-tier';
export * from './response-cache.service';
export * from './cache.module';
export * from './sql-classify';
