import { randomUUID } from 'node:crypto';
import { firstHeader } from '@athena/common';
import type { IncomingHttpHeaders } from 'node:http';

/** A caller-supplied request id is kept only when it is short and made of safe characters. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify `genReqId`: reuse a well-formed `X-Request-Id` from the caller, otherwise generate a UUID.
 * The id is also stored on the raw request so pino-http (which reads `req.id`) logs the same value.
 */
export function genRequestId(req: { headers: IncomingHttpHeaders }): string {
  const candidate = firstHeader(req.headers, 'x-request-id');
  const id = candidate !== undefined && WELL_FORMED.test(candidate) ? candidate : randomUUID();
  (req as { id?: string }).id = id;
  return id;
}
