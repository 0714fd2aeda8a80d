export * from './athena-error';
export * from './single-flight';
