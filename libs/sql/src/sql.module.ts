import { Module } from '@nestjs/common';
import { CacheModule } from '@athena/cache';
import { SqlController } from './sql.controller';
import { SqlService } from './sql.service';

@Module({ imports: [CacheModule], controllers: [SqlController], providers: [SqlService] })
export class SqlModule {}
