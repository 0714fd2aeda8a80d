import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { SqlController } from './sql.controller';
import { SqlService } from './sql.service';

@Module({ imports: [AuthModule, CacheModule, CatalogModule], controllers: [SqlController], providers: [SqlService] })
export class SqlModule {}
