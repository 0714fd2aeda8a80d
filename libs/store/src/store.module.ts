import { DynamicModule, Global, Module } from '@nestjs/common';
import { ClientsRepository } from './clients.repository';
import { CONTROL_PLANE_TARGET, ControlPlaneService, ControlPlaneTarget } from './control-plane.service';
import { LogsRepository } from './logs.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { ControlPlaneEvents } from './control-plane-events';
import { BackupJobsRepository } from './backup-jobs.repository';

/** The only module that talks to the control-plane database. */
@Global()
@Module({})
export class StoreModule {
  static forRoot(target: ControlPlaneTarget): DynamicModule {
    return {
      module: StoreModule,
      providers: [{ provide: CONTROL_PLANE_TARGET, useValue: target }, ControlPlaneService, LogsRepository, ClientsRepository, ControlPlaneEvents, ApiKeysRepository, BackupJobsRepository],
      exports: [ControlPlaneService, LogsRepository, ClientsRepository, CONTROL_PLANE_TARGET, ControlPlaneEvents, ApiKeysRepository, BackupJobsRepository],
    };
  }
}
