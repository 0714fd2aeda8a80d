import { Global, Module } from '@nestjs/common';
import { ClientCatalogService } from './client-catalog.service';

@Global()
@Module({ providers: [ClientCatalogService], exports: [ClientCatalogService] })
export class CatalogModule {}
