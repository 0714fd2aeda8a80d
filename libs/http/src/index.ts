export * from './request-id';
export * from './envelope';
export * from './error-mapping';
export * from './athena-exception.filter';
export * from './http-call';
export * from './errors';
export * from './json-body';
export * from './edge-errors';
