import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ApiSchemaExtras, CLIENT_NAME_RE, CLIENT_NAME_RULE } from '@athena/common';
import { EnvelopeDto, MAX_RIGHT_LENGTH, RIGHT_RE, RIGHT_RULE } from '@athena/auth';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const CLIENT_HELP = `client_name must be ${CLIENT_NAME_RULE}`;

/** OpenAPI schema of one right name. */
const RIGHT_ITEM = { type: 'string', pattern: RIGHT_RE.source, maxLength: MAX_RIGHT_LENGTH };

export class CreateApiKeyDto {
  @ApiProperty({ example: 'gateway-readonly', minLength: 1, maxLength: 200 })
  @IsDefined({ message: 'name is required' })
  @IsString()
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: CLIENT_NAME_RE.source,
    example: 'reporting',
    description: 'Bind the key to one X-Athena-Client',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_NAME_RE, { message: CLIENT_HELP })
  client_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2099-01-01T00:00:00Z',
    description: 'RFC 3339 timestamp in the future',
  })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expires_at must be an RFC 3339 timestamp such as 2027-01-01T00:00:00Z' })
  expires_at?: string | null;

  @ApiPropertyOptional({
    type: 'array',
    items: RIGHT_ITEM,
    maxItems: 100,
    example: ['users.read'],
    description: 'Names of existing rights (see /admin/api-key-rights)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(MAX_RIGHT_LENGTH, { each: true })
  @Matches(RIGHT_RE, { each: true, message: `each right must be ${RIGHT_RULE}` })
  rights?: string[];
}

@ApiSchemaExtras({ minProperties: 1 })
export class UpdateApiKeyDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: CLIENT_NAME_RE.source,
    description: 'null removes the client binding',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_NAME_RE, { message: CLIENT_HELP })
  client_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'RFC 3339 timestamp in the future; null = never expires',
  })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expires_at must be an RFC 3339 timestamp such as 2027-01-01T00:00:00Z' })
  expires_at?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ type: 'array', items: RIGHT_ITEM, maxItems: 100, description: 'Replaces the whole grant set' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(MAX_RIGHT_LENGTH, { each: true })
  @Matches(RIGHT_RE, { each: true, message: `each right must be ${RIGHT_RULE}` })
  rights?: string[];
}

export class ListApiKeysQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 1000, minimum: 1, maximum: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: 10_000_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;
}

export class CreateRightDto {
  @ApiProperty({
    example: 'users.read',
    description: RIGHT_RULE,
    pattern: RIGHT_RE.source,
    maxLength: MAX_RIGHT_LENGTH,
  })
  @IsDefined({ message: 'name is required' })
  @IsString()
  @MaxLength(MAX_RIGHT_LENGTH)
  @Matches(RIGHT_RE, { message: `name must be ${RIGHT_RULE}` })
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

@ApiSchemaExtras({ minProperties: 1 })
export class UpdateRightDto {
  @ApiPropertyOptional({
    example: 'users.read',
    pattern: RIGHT_RE.source,
    maxLength: MAX_RIGHT_LENGTH,
    description: 'Renaming a right renames it on every key that holds it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_RIGHT_LENGTH)
  @Matches(RIGHT_RE, { message: `name must be ${RIGHT_RULE}` })
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}

export class EnforcementDto {
  @ApiProperty({ example: true })
  @IsDefined({ message: 'enforce_api_keys is required' })
  @IsBoolean({ message: 'enforce_api_keys must be true or false' })
  enforce_api_keys: boolean;
}

// ---- response shapes (Swagger) ----

export class ApiKeyRecordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'abcd1234efab5678' }) public_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String }) client_name: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expires_at: string | null;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_used_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ type: [String] }) rights: string[];
}

export class ApiKeyRightRecordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ApiKeyClientConfigDto {
  @ApiProperty() client_name: string;
  @ApiProperty() enforce_api_keys: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ApiKeyGlobalConfigDto {
  @ApiProperty() enforce_api_keys: boolean;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

class Envelope extends EnvelopeDto {}

export class ApiKeyListData {
  @ApiProperty({ type: [ApiKeyRecordDto] }) api_keys: ApiKeyRecordDto[];
}
export class ApiKeyListEnvelope extends Envelope {
  @ApiProperty({ type: ApiKeyListData }) data: ApiKeyListData;
}
export class ApiKeyCreatedData {
  @ApiProperty({
    example: 'ath_abcd1234efab5678.59f0…',
    description: 'The plaintext key: shown once, never retrievable again',
  })
  api_key: string;
  @ApiProperty({ type: ApiKeyRecordDto }) record: ApiKeyRecordDto;
}
export class ApiKeyCreatedEnvelope extends Envelope {
  @ApiProperty({ type: ApiKeyCreatedData }) data: ApiKeyCreatedData;
}
export class ApiKeyRecordData {
  @ApiProperty({ type: ApiKeyRecordDto }) record: ApiKeyRecordDto;
}
export class ApiKeyRecordEnvelope extends Envelope {
  @ApiProperty({ type: ApiKeyRecordData }) data: ApiKeyRecordData;
}
export class IdData {
  @ApiProperty({ format: 'uuid' }) id: string;
}
export class IdEnvelope extends Envelope {
  @ApiProperty({ type: IdData }) data: IdData;
}
export class RightListData {
  @ApiProperty({ type: [ApiKeyRightRecordDto] }) rights: ApiKeyRightRecordDto[];
}
export class RightListEnvelope extends Envelope {
  @ApiProperty({ type: RightListData }) data: RightListData;
}
export class RightData {
  @ApiProperty({ type: ApiKeyRightRecordDto }) right: ApiKeyRightRecordDto;
}
export class RightEnvelope extends Envelope {
  @ApiProperty({ type: RightData }) data: RightData;
}
export class ConfigData {
  @ApiProperty({ type: ApiKeyGlobalConfigDto }) global: ApiKeyGlobalConfigDto;
  @ApiProperty({ type: [ApiKeyClientConfigDto] }) clients: ApiKeyClientConfigDto[];
}
export class ConfigEnvelope extends Envelope {
  @ApiProperty({ type: ConfigData }) data: ConfigData;
}
export class ApiKeyClientListData {
  @ApiProperty({ type: [ApiKeyClientConfigDto] }) clients: ApiKeyClientConfigDto[];
}
export class ApiKeyClientListEnvelope extends Envelope {
  @ApiProperty({ type: ApiKeyClientListData }) data: ApiKeyClientListData;
}
export class ApiKeyClientData {
  @ApiProperty({ type: ApiKeyClientConfigDto }) client: ApiKeyClientConfigDto;
}
export class ApiKeyClientEnvelope extends Envelope {
  @ApiProperty({ type: ApiKeyClientData }) data: ApiKeyClientData;
}
export class ClientNameData {
  @ApiProperty() client_name: string;
}
export class ClientNameEnvelope extends Envelope {
  @ApiProperty({ type: ClientNameData }) data: ClientNameData;
}
