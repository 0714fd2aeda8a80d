import { BadRequestException, NotFoundException, InternalServerErrorException } from '@nestjs/common';
import { AthenaError } from '@athena/common';
import { mapError } from './error-mapping';

describe('mapError', () => {
  it('keeps AthenaError status, code, detail, headers and extra fields', () => {
    const m = mapError(
      new AthenaError(503, 'backend_unavailable', 'down', 'retry later', { 'Retry-After': '5' }),
      'rid',
    );
    expect(m.status).toBe(503);
    expect(m.headers).toEqual({ 'Retry-After': '5' });
    expect(m.body).toEqual({
      status: 'error',
      code: 'backend_unavailable',
      message: 'down',
      error: 'retry later',
      request_id: 'rid',
    });
    expect(m.unexpected).toBe(false);
    const u = mapError(
      AthenaError.badRequest('unknown_column', 'Unknown column', 'x', { available_columns: ['a'] }),
      'rid',
    );
    expect(u.body).toEqual({
      status: 'error',
      code: 'unknown_column',
      message: 'Unknown column',
      error: 'x',
      available_columns: ['a'],
    });
  });

  it('maps a Nest 404 to not_found', () => {
    const m = mapError(new NotFoundException('Cannot GET /x'), 'rid');
    expect(m.status).toBe(404);
    expect(m.body.code).toBe('not_found');
    expect(m.body.error).toContain('/x');
  });

  it('lists every field of a ValidationPipe failure under invalid_request', () => {
    const m = mapError(
      new BadRequestException({
        message: ['name must be a string', 'age must be positive'],
        error: 'Bad Request',
        statusCode: 400,
      }),
      'rid',
    );
    expect(m.status).toBe(400);
    expect(m.body.code).toBe('invalid_request');
    expect(m.body.error).toBe('name must be a string; age must be positive');
    expect(m.body.problems).toEqual(['name must be a string', 'age must be positive']);
  });

  it('maps Fastify body errors: invalid JSON, empty JSON, too large', () => {
    const syntax = Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400 });
    expect(mapError(syntax, 'r').body.code).toBe('invalid_json');
    expect(mapError({ statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY', message: 'empty' }, 'r').body.code).toBe(
      'invalid_json',
    );
    const big = mapError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'too large' }, 'r');
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    expect(mapError({ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'x' }, 'r').body.code).toBe(
      'unsupported_media_type',
    );
  });

  it('hides unexpected errors behind internal_error with the request id and no internals', () => {
    const secret = new Error('connect to postgres://admin:hunter2@db failed at /srv/app.js:12');
    for (const err of [secret, new InternalServerErrorException('db password hunter2'), 'a string', null]) {
      const m = mapError(err, 'req-42');
      expect(m.status).toBe(500);
      expect(m.unexpected).toBe(true);
      expect(m.body).toMatchObject({ status: 'error', code: 'internal_error', request_id: 'req-42' });
      expect(JSON.stringify(m.body)).not.toMatch(/hunter2|app\.js|postgres:/);
      expect(m.body.error).toContain('req-42');
    }
  });
});
