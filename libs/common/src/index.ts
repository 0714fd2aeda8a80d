export * from './athena-error';
export * from './single-flight';
export * from './auth-context';
export * from './gateway-call';
export * from './batched-writer';
export * from './client-name';
export * from './connection-loss';
export * from './headers';
