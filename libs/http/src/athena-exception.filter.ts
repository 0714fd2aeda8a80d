import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER } from '@athena/observability';

/**
 * Sends `exception` as the Athena error envelope; failures the operator must look at are logged as
 * `unexpected error` (the global exception filter, and the direct routes' handler).
 */
export function replyWithError(
  logger: PinoLogger,
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const mapped = mapError(exception, request.id);
  if (mapped.unexpected) {
    logger.error({ err: exception, request_id: request.id, route: request.routeOptions?.url }, 'unexpected error');
  }
  reply.status(mapped.status).headers(mapped.headers).send(mapped.body);
}

/** The logger both error paths log through. */
export function exceptionLogger(root: PinoLogger): PinoLogger {
  return root.child({ component: 'exception-filter' });
}

/** The single global exception filter: every failure leaves as the Athena error envelope. */
@Catch()
export class AthenaExceptionFilter implements ExceptionFilter {
  private readonly logger: PinoLogger;

  constructor(@Inject(ROOT_LOGGER) root: PinoLogger) {
    this.logger = exceptionLogger(root);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    replyWithError(this.logger, exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>());
  }
}
