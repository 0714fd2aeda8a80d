import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { CLIENT_NAME_RE, CLIENT_NAME_RULE } from '@athena/common';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const CLIENT_PATTERN = CLIENT_NAME_RE;
const CLIENT_HELP = `client_name must be ${CLIENT_NAME_RULE}`;
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const LABEL_HELP = 'label must be 1-64 characters: letters, digits, "_", "." or "-", starting with a letter or digit';
const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
const KINDS = ['backup', 'restore'] as const;

export class CreateBackupDto {
  @ApiProperty({
    example: 'reporting',
    pattern: CLIENT_PATTERN.source,
    description: 'A PostgreSQL client of the catalog',
  })
  @IsDefined({ message: 'client_name is required' })
  @IsString()
  @Matches(CLIENT_PATTERN, { message: CLIENT_HELP })
  client_name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: LABEL_PATTERN.source,
    example: 'nightly',
    description: 'Part of the object key; default "manual"',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(LABEL_PATTERN, { message: LABEL_HELP })
  label?: string | null;
}

export class RestoreBackupDto {
  @ApiProperty({
    example: 'reporting',
    pattern: CLIENT_PATTERN.source,
    description: 'Target PostgreSQL client (the source client, or another one to clone into)',
  })
  @IsDefined({ message: 'client_name is required' })
  @IsString()
  @Matches(CLIENT_PATTERN, { message: CLIENT_HELP })
  client_name: string;
}

export class ListBackupsQueryDto {
  @ApiPropertyOptional({
    example: 'reporting',
    pattern: CLIENT_PATTERN.source,
    description: "Only this client's backups",
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_PATTERN, { message: CLIENT_HELP })
  client_name?: string;
}

export class ListJobsQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: "Keyset paging: jobs with a smaller job_id (the previous page's next_before)",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  @ApiPropertyOptional({ example: 'reporting', pattern: CLIENT_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_PATTERN, { message: CLIENT_HELP })
  client_name?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES as unknown as string[], { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: (typeof STATUSES)[number];

  @ApiPropertyOptional({ enum: KINDS })
  @IsOptional()
  @IsIn(KINDS as unknown as string[], { message: `kind must be one of ${KINDS.join(', ')}` })
  kind?: (typeof KINDS)[number];
}

// ---- response documentation ----

export class BackupErrorDto {
  @ApiProperty({ example: 'error' }) status: string;
  @ApiProperty({ example: 'invalid_backup_key' }) code: string;
  @ApiProperty({ example: 'Invalid backup key' }) message: string;
  @ApiProperty({ example: 'the key is not under the prefix "backups/"' }) error: string;
}

export class BackupJobDto {
  @ApiProperty({ example: 42 }) job_id: number;
  @ApiProperty({ enum: KINDS }) kind: string;
  @ApiProperty({ example: 'reporting' }) client_name: string;
  @ApiProperty({ nullable: true, type: String, example: 'nightly' }) label: string | null;
  @ApiProperty({ example: 'athena-backups' }) bucket: string;
  @ApiProperty({ example: 'backups/reporting/20261205T230102.345Z-nightly.dump' }) key: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty({ description: 'Bytes streamed so far (dump bytes uploaded / object bytes read)' }) bytes_done: number;
  @ApiProperty({ nullable: true, type: Number }) size_bytes: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'Hex SHA-256 of the dump' }) sha256: string | null;
  @ApiProperty({ nullable: true, type: String }) server_version: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'pg_dump / pg_restore version used' }) tool_version:
    string | null;
  @ApiProperty({ nullable: true, type: String, example: 'pg_dump_failed' }) error_code: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Excerpt of the error (tool stderr tail)' }) error:
    string | null;
  @ApiProperty() cancel_requested: boolean;
  @ApiProperty({ description: 'The gateway instance that runs (ran) the job' }) instance_id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ format: 'date-time' }) heartbeat_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completed_at: string | null;
  @ApiProperty({ nullable: true, type: Number }) duration_ms: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Average rate (GET /jobs/{id} only)' })
  bytes_per_second?: number | null;
}

export class BackupObjectDto {
  @ApiProperty({ example: 'backups/reporting/20261205T230102.345Z-nightly.dump' }) key: string;
  @ApiProperty({ nullable: true, type: String }) client_name: string | null;
  @ApiProperty({ nullable: true, type: String }) label: string | null;
  @ApiProperty() size_bytes: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_modified: string | null;
  @ApiProperty({ nullable: true, type: String }) sha256: string | null;
  @ApiProperty({ nullable: true, type: String }) server_version: string | null;
  @ApiProperty({ nullable: true, type: String }) pg_dump_version: string | null;
}

class BackupEnvelopeBase {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty() message: string;
}

export class BackupCreatedData {
  @ApiProperty() key: string;
  @ApiProperty() client_name: string;
  @ApiProperty({ nullable: true, type: String }) label: string | null;
  @ApiProperty({ nullable: true, type: Number }) size_bytes: number | null;
  @ApiProperty({ nullable: true, type: String }) sha256: string | null;
  @ApiProperty({ type: BackupJobDto }) job: BackupJobDto;
}
export class BackupCreatedEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupCreatedData }) data: BackupCreatedData;
}

export class BackupAcceptedData {
  @ApiProperty() job_id: number;
  @ApiProperty() client_name: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty() key: string;
  @ApiProperty({ type: BackupJobDto }) job: BackupJobDto;
}
export class BackupAcceptedEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupAcceptedData }) data: BackupAcceptedData;
}

export class RestoreDoneData {
  @ApiProperty() key: string;
  @ApiProperty() client_name: string;
  @ApiProperty({ nullable: true, type: String }) source_client_name: string | null;
  @ApiProperty({ type: BackupJobDto }) job: BackupJobDto;
}
export class RestoreDoneEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: RestoreDoneData }) data: RestoreDoneData;
}

export class BackupListData {
  @ApiProperty({ type: [BackupObjectDto] }) backups: BackupObjectDto[];
}
export class BackupListEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupListData }) data: BackupListData;
}

export class BackupJobListData {
  @ApiProperty({ type: [BackupJobDto] }) jobs: BackupJobDto[];
  @ApiProperty({ nullable: true, type: Number, description: 'Pass as `before` for the next page' }) next_before:
    number | null;
}
export class BackupJobListEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupJobListData }) data: BackupJobListData;
}

export class BackupJobData {
  @ApiProperty({ type: BackupJobDto }) job: BackupJobDto;
}
export class BackupJobEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupJobData }) data: BackupJobData;
}

export class BackupKeyData {
  @ApiProperty() key: string;
}
export class BackupKeyEnvelope extends BackupEnvelopeBase {
  @ApiProperty({ type: BackupKeyData }) data: BackupKeyData;
}
