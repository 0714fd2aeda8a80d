export * from './api-keys.module';
export * from './api-keys-admin.service';
export * from './dto/api-keys.dto';
