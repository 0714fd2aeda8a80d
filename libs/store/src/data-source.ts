import { DataSource } from 'typeorm';
import { CONTROL_PLANE_MIGRATIONS } from '../../../migrations';
import { AthenaClientEntity } from './entities/athena-client.entity';

export const CONTROL_PLANE_ENTITIES = [AthenaClientEntity];

/** The TypeORM DataSource of the control-plane database (`athena_logging`). Bounded, small pool. */
export function createControlPlaneDataSource(
  uri: string,
  opts: { poolMax?: number; applicationName?: string } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: uri,
    entities: CONTROL_PLANE_ENTITIES,
    migrations: CONTROL_PLANE_MIGRATIONS,
    migrationsTableName: 'athena_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: opts.poolMax ?? 5,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      application_name: opts.applicationName ?? 'athena-control-plane',
    },
  });
}
