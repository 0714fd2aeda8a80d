import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorEnvelope } from './envelope';

/**
 * Refusals Fastify or Node's HTTP parser produce before any hook or route runs, answered in the Athena envelope
 * with an X-Request-Id like every other answer.
 */
function envelope(code: string, message: string, detail: string): ErrorEnvelope {
  return { status: 'error', code, message, error: detail };
}

/** Fastify `frameworkErrors`: router-level refusals (a path parameter over the router's limit, a malformed URL). */
export function frameworkErrors(err: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply): void {
  const body =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? envelope(
          'path_parameter_too_long',
          'Path parameter too long',
          'A path parameter is longer than 100 characters; names and ids are shorter',
        )
      : err.code === 'FST_ERR_BAD_URL'
        ? envelope('invalid_url', 'Malformed URL', 'A path component is not valid percent-encoding')
        : envelope('invalid_request', 'Invalid request', 'The request could not be routed');
  void reply
    .code(400)
    .header('x-request-id', req.id)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

const CLIENT_ERRORS: Record<string, [number, string, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'headers_too_large',
    'Request headers too large',
    'The request line and headers exceed the server limit (16 KB); send a shorter URL or fewer/smaller headers',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    'request_timeout',
    'Request timeout',
    'The request was not received completely within api.request_timeout_ms',
  ],
  ERR_HTTP_HEADERS_TIMEOUT: [
    408,
    'Request Timeout',
    'request_timeout',
    'Request timeout',
    'The request headers were not received in time',
  ],
};

/** Fastify `clientErrorHandler`: Node's HTTP parser rejected the request (bad header, oversized head, timeout). */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message, detail] = CLIENT_ERRORS[err.code ?? ''] ?? [
    400,
    'Bad Request',
    'malformed_request',
    'Malformed HTTP request',
    'The request line or a header is not valid HTTP (e.g. a control character in a header)',
  ];
  const body = JSON.stringify(envelope(code, message, detail));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
