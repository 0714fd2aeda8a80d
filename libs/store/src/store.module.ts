import { Module } from '@nestjs/common';
import { ApiKeyEnforcementRepository } from './api-key-enforcement.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthLogRepository } from './auth-log.repository';
import { AuthStore } from './auth-store';
import { BackupJobsRepository } from './backup-jobs.repository';
import { ClientStatisticsRepository } from './client-statistics.repository';
import { ClientsRepository } from './clients.repository';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneService } from './control-plane.service';
import { LogsRepository } from './logs.repository';

/**
 * The only module that talks to the control-plane database. Needs config (global), including the boot-resolved
 * `CONTROL_PLANE_TARGET`: `AthenaConfigModule.forRoot(config, { controlPlane })`.
 */
@Module({
  providers: [
    ControlPlaneService,
    LogsRepository,
    ClientsRepository,
    ControlPlaneEvents,
    AuthStore,
    ApiKeysRepository,
    ApiKeyEnforcementRepository,
    AuthLogRepository,
    BackupJobsRepository,
    ClientStatisticsRepository,
  ],
  exports: [
    ControlPlaneService,
    LogsRepository,
    ClientsRepository,
    ControlPlaneEvents,
    ApiKeysRepository,
    ApiKeyEnforcementRepository,
    AuthLogRepository,
    BackupJobsRepository,
    ClientStatisticsRepository,
  ],
})
export class StoreModule {}
