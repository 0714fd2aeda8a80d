import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { DriversModule } from '@athena/drivers';
import { StoreModule } from '@athena/store';
import { BackupScheduler } from './backup-scheduler';
import { BackupsController } from './backups.controller';
import { BackupsService } from './backups.service';

/** `/admin/backups*`: pg_dump/pg_restore jobs on S3-compatible storage (off, with 503s, when no bucket is set);
 * `backup.schedules` run by BackupScheduler. */
@Module({
  imports: [AuthModule, CacheModule, CatalogModule, DriversModule, StoreModule, ScheduleModule.forRoot()],
  controllers: [BackupsController],
  providers: [BackupsService, BackupScheduler],
  exports: [BackupsService, BackupScheduler],
})
export class BackupsModule {}
