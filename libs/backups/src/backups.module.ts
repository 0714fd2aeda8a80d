import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { DriversModule } from '@athena/drivers';
import { StoreModule } from '@athena/store';
import { BackupsController } from './backups.controller';
import { BackupsService } from './backups.service';

/** `/admin/backups*`: pg_dump/pg_restore jobs on S3-compatible storage (off, with 503s, when no bucket is set). */
@Module({
  imports: [AuthModule, CacheModule, CatalogModule, DriversModule, StoreModule],
  controllers: [BackupsController],
  providers: [BackupsService],
  exports: [BackupsService],
})
export class BackupsModule {}
