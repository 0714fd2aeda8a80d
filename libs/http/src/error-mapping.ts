import { HttpException } from '@nestjs/common';
import { AthenaError } from '@athena/common';
import type { ErrorEnvelope } from './envelope';

export interface MappedError {
  status: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
  /** True for failures the operator must look at (5xx that are not deliberate 503s). */
  unexpected: boolean;
}

/** Code of a framework error by status (documented in the http error catalogue, errors.ts). */
const STATUS_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  503: 'service_unavailable',
};

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * Turns anything thrown into the Athena error envelope. One function serves both the Nest exception
 * filter and Fastify's own error handler (body parsing fails before Nest sees the request).
 * Unexpected errors never leak their message or stack: the caller gets the request id to quote.
 */
export function mapError(err: unknown, requestId: string): MappedError {
  if (err instanceof AthenaError) {
    const body: ErrorEnvelope = {
      status: 'error',
      code: err.code,
      message: err.message,
      error: err.detail,
      ...err.extra,
    };
    if (err.status >= 500) body.request_id = requestId;
    return { status: err.status, headers: err.headers, body, unexpected: err.status >= 500 && err.status !== 503 };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    if (status === 404) {
      return simple(404, 'not_found', 'Not found', `${err.message.replace(/^Cannot /, 'No route for ')}`, requestId);
    }
    if (
      status === 400 &&
      typeof response === 'object' &&
      response !== null &&
      Array.isArray((response as { message?: unknown }).message)
    ) {
      // class-validator output from the ValidationPipe: list each bad field.
      const problems = (response as { message: string[] }).message;
      return {
        status: 400,
        headers: {},
        body: {
          status: 'error',
          code: 'invalid_request',
          message: 'Invalid request',
          error: problems.join('; '),
          problems,
        },
        unexpected: false,
      };
    }
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
    if (status >= 500) return internal(requestId);
    return simple(status, code, err.message, err.message, requestId);
  }
  const fe = err as FastifyLikeError;
  if (
    fe &&
    typeof fe === 'object' &&
    typeof fe.statusCode === 'number' &&
    fe.statusCode >= 400 &&
    fe.statusCode < 500
  ) {
    if (fe.statusCode === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return simple(
        413,
        'payload_too_large',
        'Request body too large',
        'The request body exceeds api.body_limit_bytes; send less data per request',
        requestId,
      );
    }
    if (
      err instanceof SyntaxError ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
    ) {
      const detail =
        fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The body is empty but Content-Type is application/json; send a JSON document or omit the header'
          : `The body is not valid JSON: ${fe.message ?? 'parse error'}`;
      return simple(400, 'invalid_json', 'Malformed JSON body', detail, requestId);
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return simple(
        415,
        'unsupported_media_type',
        'Unsupported Content-Type',
        'Send the body as application/json',
        requestId,
      );
    }
    const code = STATUS_CODES[fe.statusCode] ?? 'invalid_request';
    return simple(fe.statusCode, code, fe.message ?? code, fe.message ?? code, requestId);
  }
  return internal(requestId);
}

function simple(status: number, code: string, message: string, detail: string, _requestId: string): MappedError {
  return { status, headers: {}, body: { status: 'error', code, message, error: detail }, unexpected: false };
}

function internal(requestId: string): MappedError {
  return {
    status: 500,
    headers: {},
    body: {
      status: 'error',
      code: 'internal_error',
      message: 'Internal server error',
      error: `An unexpected error occurred; quote request id ${requestId} when reporting it`,
      request_id: requestId,
    },
    unexpected: true,
  };
}
