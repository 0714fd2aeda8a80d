import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { CacheModule } from '@athena/cache';
import { CatalogModule } from '@athena/catalog';
import { DriversModule } from '@athena/drivers';
import { StoreModule } from '@athena/store';
import { AdminClientsController } from './admin-clients.controller';
import { AdminClientsService } from './admin-clients.service';
import { ClientStatisticsService } from './client-statistics.service';
import { ClientsIntrospectionController, ProvisionController } from './introspection.controller';
import { ProvisionService } from './provision.service';

/** Admin control plane of clients: catalog, statistics, provisioning, introspection (static admin key only). */
@Module({
  imports: [AuthModule, StoreModule, CatalogModule, DriversModule, CacheModule],
  controllers: [AdminClientsController, ClientsIntrospectionController, ProvisionController],
  providers: [AdminClientsService, ClientStatisticsService, ProvisionService],
})
export class AdminClientsModule {}
