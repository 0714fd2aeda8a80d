export * from './backups.module';
export * from './backups.service';
export * from './backup-scheduler';
export * from './backup-keys';
export * from './backup-settings';
export * from './backup-storage';
export * from './pg-tools';
export * from './dto/backups.dto';
