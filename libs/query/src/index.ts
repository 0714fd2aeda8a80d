export * from './ast';
export * from './identifiers';
export * from './case';
export * from './parse';
export * from './sql-compiler';
export * from './post-processing';
export * from './rows';
export * from './postgrest-filter';
