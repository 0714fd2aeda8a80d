import { Module } from '@nestjs/common';
import { DriversModule } from '@athena/drivers';
import { StoreModule } from '@athena/store';
import { ClientCatalogService } from './client-catalog.service';
import { RequestTargetResolver } from './request-target.service';

/** Client catalog (config + athena_clients) and request → backend adapter resolution. */
@Module({
  imports: [StoreModule, DriversModule],
  providers: [ClientCatalogService, RequestTargetResolver],
  exports: [ClientCatalogService, RequestTargetResolver],
})
export class CatalogModule {}
