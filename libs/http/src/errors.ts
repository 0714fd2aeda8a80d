import { defineErrors } from '@athena/common';

/** The http library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const HttpErrors = defineErrors('http', {
  invalidJson: {
    code: 'invalid_json',
    status: 400,
    meaning: 'The body is not valid JSON (or is empty with Content-Type: application/json)',
  },
  invalidRequest: {
    code: 'invalid_request',
    status: 400,
    meaning: 'A field of the payload has the wrong type or a required field is missing',
  },
  unauthorized: { code: 'unauthorized', status: 401, meaning: 'Generic 401 from the framework' },
  forbidden: { code: 'forbidden', status: 403, meaning: 'Generic 403 from the framework' },
  notFound: { code: 'not_found', status: 404, meaning: 'No route matches the method and path' },
  methodNotAllowed: { code: 'method_not_allowed', status: 405, meaning: 'The route exists but not for this method' },
  requestTimeout: {
    code: 'request_timeout',
    status: 408,
    meaning: 'The request was not received within api.request_timeout_ms',
  },
  payloadTooLarge: { code: 'payload_too_large', status: 413, meaning: 'The body exceeds api.body_limit_bytes' },
  unsupportedMediaType: { code: 'unsupported_media_type', status: 415, meaning: 'Send the body as application/json' },
  notAcceptable: { code: 'not_acceptable', status: 406, meaning: 'Generic 406 from the framework' },
  conflict: { code: 'conflict', status: 409, meaning: 'Generic 409 from the framework' },
  unprocessableEntity: { code: 'unprocessable_entity', status: 422, meaning: 'Generic 422 from the framework' },
  rateLimited: { code: 'rate_limited', status: 429, meaning: 'Too many requests; retry after Retry-After' },
  internalError: {
    code: 'internal_error',
    status: 500,
    meaning: 'Unexpected failure; quote the request_id when reporting it',
  },
  serviceUnavailable: {
    code: 'service_unavailable',
    status: 503,
    meaning: 'Generic 503 from the framework; retry after Retry-After',
  },
  jsonTooDeep: {
    code: 'json_too_deep',
    status: 400,
    meaning: 'The JSON body nests deeper than the gateway accepts (64 levels)',
  },
  nulCharacter: {
    code: 'nul_character',
    status: 400,
    meaning: 'A string contains a NUL character (\u0000), which PostgreSQL cannot store',
  },
  unsupportedContentEncoding: {
    code: 'unsupported_content_encoding',
    status: 415,
    meaning: 'Content-Encoding is not supported; send the body uncompressed',
  },
  malformedRequest: {
    code: 'malformed_request',
    status: 400,
    meaning: 'The HTTP request could not be parsed (bad header or request line)',
  },
  pathParameterTooLong: {
    code: 'path_parameter_too_long',
    status: 400,
    meaning: 'A path parameter is longer than the gateway accepts',
  },
  invalidUrl: { code: 'invalid_url', status: 400, meaning: 'The URL is malformed or contains a NUL byte' },
  headersTooLarge: { code: 'headers_too_large', status: 431, meaning: 'The URL or headers exceed the server limit' },
  invalidUtf8: { code: 'invalid_utf8', status: 400, meaning: 'The body is not valid UTF-8' },
});
