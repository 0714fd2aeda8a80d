export * from './sql.module';
export * from './sql.service';
export * from './sql.controller';
export * from './sql-request';
