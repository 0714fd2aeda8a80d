import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * One statement: not blank once whitespace and one trailing `;` are dropped. At most 100000 characters once trimmed
 * (said in words: a maxLength would count the surrounding whitespace the server drops).
 */
const SQL_TEXT = { type: 'string', not: { pattern: '^\\s*;?\\s*$' } } as const;

export class SqlRequestDto {
  @ApiProperty({
    ...SQL_TEXT,
    example: 'SELECT id, name FROM items WHERE qty > 1',
    description: 'One statement (at most 100000 characters): SQL for postgresql, CQL for athena (ScyllaDB/Cassandra)',
  })
  query: string;

  @ApiProperty({
    enum: ['postgresql', 'postgres', 'athena', 'supabase'],
    example: 'postgresql',
    description:
      '`postgres` is an alias of `postgresql`; `athena` = ScyllaDB/Cassandra; `supabase` answers 422 (PostgREST has no raw SQL)',
  })
  driver: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: '^\\s*([A-Za-z_][A-Za-z0-9_-]{0,62})?\\s*$',
    example: 'main',
    description:
      'Client to run on when no X-Athena-Client header is sent (one of the two is required; empty = not given); echoed as `db_name`',
  })
  db_name?: string;
}

export class SqlEnvelopeDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty({ example: 'Successfully executed query' }) message: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [{ id: 1, name: 'apple' }] }) data: unknown[];
  @ApiProperty({ example: 'main', description: 'db_name from the request, else the client name' }) db_name: string;
  @ApiProperty({ example: 3, description: 'Execution time in milliseconds' }) duration: number;
  @ApiProperty({ example: 1, description: 'Rows returned (SELECT) or affected (DML)' }) count: number;
  @ApiProperty({ example: 'SELECT', description: 'Statement tag' }) command: string;
  @ApiPropertyOptional({ example: true, description: 'Present when gateway.max_rows cut the rows short' })
  truncated?: boolean;
}
