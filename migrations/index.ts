import { InitControlPlane1732200000000 } from './1732200000000-InitControlPlane';
import { ApiKeys1732300000000 } from './1732300000000-ApiKeys';
import { ClientStatistics1732400000000 } from './1732400000000-ClientStatistics';
import { BackupJobs1732513000000 } from './1732513000000-BackupJobs';
import { BackupScheduleRuns1732513500000 } from './1732513500000-BackupScheduleRuns';
import { DeferredQueue1732800000000 } from './1732800000000-DeferredQueue';
import { LogIndexes1733000000000 } from './1733000000000-LogIndexes';

/** Every control-plane migration, in order. Later issues append theirs here. */
export const CONTROL_PLANE_MIGRATIONS = [
  InitControlPlane1732200000000,
  ApiKeys1732300000000,
  ClientStatistics1732400000000,
  BackupJobs1732513000000,
  BackupScheduleRuns1732513500000,
  DeferredQueue1732800000000,
  LogIndexes1733000000000,
];
