export * from './backend-driver';
export * from './driver-registry';
export * from './drivers.module';
export * from './postgres/postgres.driver';
export * from './postgres/pg-errors';
export * from './scylla/scylla.driver';
export * from './scylla/cql-errors';
