import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EnvelopeDto } from '@athena/auth';
import { ApiSchemaExtras, CLIENT_NAME_RE, CLIENT_NAME_RULE } from '@athena/common';
import { ENV_VAR_RE } from '../client-uri';

const CLIENT_HELP = `client_name must be ${CLIENT_NAME_RULE}`;
const ENV_HELP =
  'pg_uri_env_var must be an environment variable name (letters, digits, "_"; not starting with a digit)';

/**
 * The URIs the admin routes accept, as a pattern (the services check them with `requirePgUri`): postgres:// or
 * postgresql://, optional user[:password]@, a host, optional port, optional /database and ?query.
 */
const PG_URI_PATTERN =
  '^postgres(ql)?://([A-Za-z0-9._~%!$&()*+,;=-]+(:[A-Za-z0-9._~%!$&()*+,;=-]*)?@)?[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[A-Za-z0-9._~%-]*)?([?][A-Za-z0-9._~%=&-]*)?$';
const PG_URI = { type: 'string', pattern: PG_URI_PATTERN, maxLength: 4096 } as const;
const ENV_VAR = { type: 'string', pattern: ENV_VAR_RE.source } as const;
/** Absent or null. */
const NONE = { type: 'string', nullable: true, enum: [null] } as const;

/** `SaveAthenaClientRequest` for POST (client_name required) — exactly one of pg_uri / pg_uri_env_var. */
@ApiSchemaExtras({
  oneOf: [
    { required: ['pg_uri'], properties: { pg_uri: PG_URI, pg_uri_env_var: NONE } },
    { required: ['pg_uri_env_var'], properties: { pg_uri_env_var: ENV_VAR, pg_uri: NONE } },
  ],
})
export class CreateClientDto {
  @ApiProperty({
    example: 'reporting',
    pattern: CLIENT_NAME_RE.source,
    description: 'Unique, case-insensitive, against config.yaml and the catalog',
  })
  @IsDefined({ message: 'client_name is required' })
  @IsString()
  @Matches(CLIENT_NAME_RE, { message: CLIENT_HELP })
  client_name: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Reporting replica', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    ...PG_URI,
    nullable: true,
    example: 'postgres://report:secret@db.internal:5432/reporting',
    description: 'Direct URI (stored; answered password-redacted)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  pg_uri?: string | null;

  @ApiPropertyOptional({
    ...ENV_VAR,
    nullable: true,
    description:
      'Instead of pg_uri (send one of the two), e.g. `REPORTING_PG_URI`: name of an environment variable holding the URI (read on every instance; unset → client unavailable, 503 on use)',
  })
  @IsOptional()
  @IsString()
  @Matches(ENV_VAR_RE, { message: ENV_HELP })
  pg_uri_env_var?: string | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, default: true })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}

/** Absent, null or empty (= not given). */
const UNSET = { type: 'string', nullable: true, maxLength: 0 } as const;

/** `SaveAthenaClientRequest` for PATCH: every field optional; the path names the client. */
@ApiSchemaExtras({
  anyOf: [
    { not: { required: ['pg_uri'] } },
    { not: { required: ['pg_uri_env_var'] } },
    { properties: { pg_uri: UNSET } },
    { properties: { pg_uri_env_var: UNSET } },
  ],
})
export class UpdateClientDto {
  @ApiPropertyOptional({ type: String, description: 'Ignored: the path names the client (renaming is not supported)' })
  @IsOptional()
  @IsString()
  client_name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 4096,
    pattern: `^$|${PG_URI_PATTERN}`,
    example: 'postgres://report:secret@db2.internal:5432/reporting',
    description: 'Replaces the connection (clears pg_uri_env_var); the pool is rebuilt on next use',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  pg_uri?: string | null;

  @ApiPropertyOptional({
    ...ENV_VAR,
    nullable: true,
    example: 'REPORTING_PG_URI',
    description: 'Replaces the connection (clears pg_uri); empty or null = unchanged',
  })
  @IsOptional()
  @IsString()
  @Matches(ENV_VAR_RE, { message: ENV_HELP })
  pg_uri_env_var?: string | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: 'false takes the client off routing (403 client_inactive) and drains its pool',
  })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}

export class FreezeClientDto {
  @ApiProperty({
    example: true,
    description: 'true: routing refused (403 client_frozen) and the pool drained; false: routable again',
  })
  @IsDefined({ message: 'is_frozen is required' })
  @IsBoolean({ message: 'is_frozen must be true or false' })
  is_frozen: boolean;
}

export class DrilldownQueryDto {
  @ApiProperty({ example: 'orders', minLength: 1, maxLength: 200 })
  @IsDefined({ message: 'table_name is required' })
  @IsString()
  @IsNotEmpty({ message: 'table_name must not be empty' })
  @MaxLength(200)
  table_name: string;

  @ApiProperty({
    example: 'fetch',
    minLength: 1,
    maxLength: 64,
    description: 'Operation as logged (fetch, insert, update, delete, query, …)',
  })
  @IsDefined({ message: 'operation is required' })
  @IsString()
  @IsNotEmpty({ message: 'operation must not be empty' })
  @MaxLength(64)
  operation: string;

  @ApiPropertyOptional({
    enum: ['all', 'errors', 'normal'],
    default: 'all',
    description: 'errors = error or status ≥ 400; normal = the rest',
  })
  @IsOptional()
  @IsIn(['all', 'errors', 'normal'], { message: 'status must be one of all, errors, normal' })
  status?: 'all' | 'errors' | 'normal';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer 1..500' })
  @Min(1, { message: 'limit must be an integer 1..500' })
  @Max(500, { message: 'limit must be an integer 1..500' })
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be an integer ≥ 0' })
  @Min(0, { message: 'offset must be an integer ≥ 0' })
  @Max(10_000_000)
  offset?: number;
}

@ApiSchemaExtras({
  oneOf: [
    { required: ['uri'], not: { required: ['client_name'] } },
    { required: ['client_name'], not: { required: ['uri'] } },
  ],
})
export class ProvisionDto {
  @ApiPropertyOptional({
    ...PG_URI,
    example: 'postgres://postgres:secret@db.internal:5432/athena_logging',
    description: 'Target URI (xor client_name)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  uri?: string;

  @ApiPropertyOptional({
    type: String,
    pattern: CLIENT_NAME_RE.source,
    description:
      'Instead of uri (send one of the two), e.g. `reporting`: a registered PostgreSQL client whose database is the target',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_NAME_RE, { message: CLIENT_HELP })
  client_name?: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'With uri: register the database as a client afterwards',
  })
  @IsOptional()
  @IsBoolean()
  register?: boolean;

  @ApiPropertyOptional({
    type: String,
    pattern: CLIENT_NAME_RE.source,
    nullable: true,
    default: 'provisioned',
    example: 'logging_replica',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_NAME_RE, { message: CLIENT_HELP })
  register_name?: string | null;
}

// ---- response shapes (Swagger) ----

export class AthenaClientRecordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'reporting' }) client_name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'postgres://report:***@db.internal:5432/reporting',
    description: 'Password-redacted',
  })
  pg_uri: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'REPORTING_PG_URI' }) pg_uri_env_var: string | null;
  @ApiProperty({ nullable: true, type: String }) config_uri_template: string | null;
  @ApiProperty({ enum: ['config', 'database'] }) source: string;
  @ApiProperty() is_active: boolean;
  @ApiProperty() is_frozen: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_synced_from_config_at: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_seen_at: string | null;
  @ApiProperty({ type: Object, example: {} }) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deleted_at: string | null;
}

export class RuntimeClientDto {
  @ApiProperty({ example: 'reporting' }) client_name: string;
  @ApiProperty({ enum: ['postgres', 'scylla', 'supabase'] }) backend: string;
  @ApiProperty({ enum: ['config', 'database'] }) source: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Password-redacted' }) pg_uri: string | null;
  @ApiProperty({ nullable: true, type: String }) pg_uri_env_var: string | null;
  @ApiProperty({ nullable: true, type: String }) config_uri_template: string | null;
  @ApiProperty() is_active: boolean;
  @ApiProperty() is_frozen: boolean;
  @ApiProperty({ description: 'A pool is open for this client on this instance' }) pool_connected: boolean;
}

export class PoolStatusDto {
  @ApiProperty() open: boolean;
  @ApiProperty() total: number;
  @ApiProperty() idle: number;
  @ApiProperty() waiting: number;
}

export class RegistryRowDto {
  @ApiProperty({ example: 'reporting' }) client_name: string;
  @ApiProperty({ enum: ['postgres', 'scylla', 'supabase'] }) backend: string;
  @ApiProperty({ enum: ['config', 'database'] }) source: string;
  @ApiProperty() is_active: boolean;
  @ApiProperty() is_frozen: boolean;
  @ApiProperty({ enum: ['routable', 'frozen', 'inactive', 'unavailable'] }) status: string;
  @ApiProperty({ nullable: true, type: String, example: 'environment variable REPORTING_PG_URI is not set' }) reason:
    string | null;
  @ApiProperty({ enum: ['pg_uri', 'pg_uri_env_var', 'config'], nullable: true, type: String }) connection_source:
    string | null;
  @ApiProperty({ type: PoolStatusDto }) pool: PoolStatusDto;
}

export class ClientStatisticsDto {
  @ApiProperty() client_name: string;
  @ApiProperty() total_requests: number;
  @ApiProperty() successful_requests: number;
  @ApiProperty() failed_requests: number;
  @ApiProperty() total_cached_requests: number;
  @ApiProperty() total_operations: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_request_at: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_operation_at: string | null;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ClientTableStatisticsDto {
  @ApiProperty() client_name: string;
  @ApiProperty() table_name: string;
  @ApiProperty({ example: 'fetch' }) operation: string;
  @ApiProperty() total_operations: number;
  @ApiProperty() error_operations: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_operation_at: string | null;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class DrilldownRowDto {
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty() request_id: string;
  @ApiProperty() operation: string;
  @ApiProperty() table_name: string;
  @ApiProperty() client_name: string;
  @ApiProperty({ nullable: true, type: String }) method: string | null;
  @ApiProperty({ nullable: true, type: String }) path: string | null;
  @ApiProperty({ nullable: true, type: Number }) status_code: number | null;
  @ApiProperty() duration_ms: number;
  @ApiProperty() operation_time_ms: number;
  @ApiProperty({ nullable: true, type: Object }) details: Record<string, unknown> | null;
  @ApiProperty() error: boolean;
  @ApiProperty({ nullable: true, type: String }) message: string | null;
  @ApiProperty({ nullable: true, type: String }) cache_key: string | null;
}

export class ClientListData {
  @ApiProperty({ type: [AthenaClientRecordDto] }) clients: AthenaClientRecordDto[];
  @ApiProperty({ type: [RuntimeClientDto] }) runtime: RuntimeClientDto[];
}
export class ClientListEnvelope extends EnvelopeDto {
  @ApiProperty({ type: ClientListData }) data: ClientListData;
}
export class ClientData {
  @ApiProperty({ type: AthenaClientRecordDto }) client: AthenaClientRecordDto;
}
export class ClientEnvelope extends EnvelopeDto {
  @ApiProperty({ type: ClientData }) data: ClientData;
}
export class ClientNamesData {
  @ApiProperty({ type: [String], example: ['main', 'reporting'] }) clients: string[];
}
export class ClientNamesEnvelope extends EnvelopeDto {
  @ApiProperty({ type: ClientNamesData }) data: ClientNamesData;
}
export class StatisticsListData {
  @ApiProperty({ type: [ClientStatisticsDto] }) statistics: ClientStatisticsDto[];
}
export class StatisticsListEnvelope extends EnvelopeDto {
  @ApiProperty({ type: StatisticsListData }) data: StatisticsListData;
}
export class ClientStatisticsData {
  @ApiProperty({ type: ClientStatisticsDto }) statistics: ClientStatisticsDto;
  @ApiProperty({ type: [ClientTableStatisticsDto] }) tables: ClientTableStatisticsDto[];
}
export class ClientStatisticsEnvelope extends EnvelopeDto {
  @ApiProperty({ type: ClientStatisticsData }) data: ClientStatisticsData;
}
export class DrilldownData {
  @ApiProperty() client_name: string;
  @ApiProperty() table_name: string;
  @ApiProperty() operation: string;
  @ApiProperty({ enum: ['all', 'errors', 'normal'] }) status: string;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
  @ApiProperty({ type: [DrilldownRowDto] }) rows: DrilldownRowDto[];
}
export class DrilldownEnvelope extends EnvelopeDto {
  @ApiProperty({ type: DrilldownData }) data: DrilldownData;
}
export class ProvisionData {
  @ApiProperty({ example: 29 }) statements_executed: number;
  @ApiProperty({ example: 'reporting', description: 'The target client, or the password-redacted URI' }) client: string;
  @ApiProperty({ nullable: true, type: String, example: 'provisioned' }) registered: string | null;
  @ApiProperty({ type: [String], example: ['athena_clients', 'gateway_request_log'] }) tables: string[];
}
export class ProvisionEnvelope extends EnvelopeDto {
  @ApiProperty({ type: ProvisionData }) data: ProvisionData;
}
