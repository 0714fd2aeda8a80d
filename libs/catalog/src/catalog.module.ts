import { Global, Module } from '@nestjs/common';
import { ClientCatalogService } from './client-catalog.service';
import { RequestTargetResolver } from './request-target.service';

@Global()
@Module({ providers: [ClientCatalogService, RequestTargetResolver], exports: [ClientCatalogService, RequestTargetResolver] })
export class CatalogModule {}
