import { Injectable } from '@nestjs/common';
import { ControlPlaneService } from './control-plane.service';
import { AthenaClientEntity } from './entities/athena-client.entity';

/** A config.yaml client as synced into `athena_clients`. */
export interface ConfigClientSeed {
  name: string;
  /** The URI template as written (e.g. `${POSTGRES_ANALYTICS_URI}`); the resolved secret is not stored. */
  template: string | null;
}

/** Reads and seeds the database-backed client catalog. */
@Injectable()
export class ClientsRepository {
  constructor(private readonly cp: ControlPlaneService) {}

  /** Every row not soft-deleted. */
  async listActiveRows(): Promise<AthenaClientEntity[]> {
    return this.cp.dataSource.getRepository(AthenaClientEntity)
      .createQueryBuilder('c')
      .where('c.deleted_at IS NULL')
      .orderBy('c.client_name')
      .getMany();
  }

  /**
   * Registers config-only clients in `athena_clients` without duplicates (case-insensitive name match):
   * new names are inserted with source='config'; existing config rows get their sync timestamp refreshed.
   * Rows created through the API (source='database') are never overwritten.
   */
  async seedConfigClients(seeds: ConfigClientSeed[]): Promise<void> {
    if (seeds.length === 0) return;
    await this.cp.dataSource.query(
      `INSERT INTO athena_clients (client_name, config_uri_template, source, last_synced_from_config_at)
       SELECT s.name, s.template, 'config', now() FROM jsonb_to_recordset($1::jsonb) AS s(name text, template text)
       ON CONFLICT ((lower(client_name))) DO UPDATE
         SET last_synced_from_config_at = now(),
             config_uri_template = CASE WHEN athena_clients.source = 'config' THEN EXCLUDED.config_uri_template
                                        ELSE athena_clients.config_uri_template END,
             updated_at = now()`,
      [JSON.stringify(seeds)],
    );
  }
}
