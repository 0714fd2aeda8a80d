export * from './config.types';
export * from './config-error';
export * from './paths';
export * from './interpolate';
export * from './schema';
export * from './validate';
export * from './loader';
export * from './config.module';
