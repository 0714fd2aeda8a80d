export * from './admin-clients.module';
export * from './admin-clients.service';
export * from './client-statistics.service';
export * from './provision.service';
export * from './client-uri';
export * from './dto/admin-clients.dto';
