import { Module } from '@nestjs/common';
import { CacheModule } from '@athena/cache';
import { BackupsController } from './backups.controller';
import { BackupsService } from './backups.service';

/** `/admin/backups*`: pg_dump/pg_restore jobs on S3-compatible storage (off, with 503s, when no bucket is set). */
@Module({ imports: [CacheModule], controllers: [BackupsController], providers: [BackupsService], exports: [BackupsService] })
export class BackupsModule {}
