import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A row of the database-backed client catalog (`athena_clients`). */
@Entity({ name: 'athena_clients' })
export class AthenaClientEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'client_name', type: 'text' })
  clientName: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'pg_uri', type: 'text', nullable: true })
  pgUri: string | null;

  @Column({ name: 'pg_uri_env_var', type: 'text', nullable: true })
  pgUriEnvVar: string | null;

  @Column({ name: 'config_uri_template', type: 'text', nullable: true })
  configUriTemplate: string | null;

  @Column({ type: 'text', default: 'database' })
  source: 'config' | 'database';

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ name: 'is_frozen', type: 'boolean', default: false })
  isFrozen: boolean;

  @Column({ name: 'last_synced_from_config_at', type: 'timestamptz', nullable: true })
  lastSyncedFromConfigAt: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  metadata: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
