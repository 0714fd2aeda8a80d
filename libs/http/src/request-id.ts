import { randomUUID } from 'node:crypto';
import { firstHeader } from '@athena/common';
import type { IncomingHttpHeaders } from 'node:http';

/** A caller-supplied request id is kept only when it is short and made of safe characters. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify `genReqId`: reuse a well-formed `X-Request-Id` from the caller, otherwise generate a UUID. Fastify keeps
 * it as `request.id`; the raw request is left alone (pino-http's per-request logger, which read `raw.id`, is not
 * mounted, and a property added to every IncomingMessage costs it a shape change and an allocation).
 */
export function genRequestId(req: { headers: IncomingHttpHeaders }): string {
  const candidate = firstHeader(req.headers, 'x-request-id');
  return candidate !== undefined && WELL_FORMED.test(candidate) ? candidate : randomUUID();
}
