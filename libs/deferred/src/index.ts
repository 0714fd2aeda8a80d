export * from './deferred.repository';
export * from './deferred.service';
export * from './deferred.worker';
export * from './deferred.controller';
export * from './deferred.module';
export * from './result-cap';
export * from './dto/deferred.dto';
