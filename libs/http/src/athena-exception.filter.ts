import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER } from '@athena/observability';

/** The single global exception filter: every failure leaves as the Athena error envelope. */
@Catch()
export class AthenaExceptionFilter implements ExceptionFilter {
  private readonly logger: PinoLogger;

  constructor(@Inject(ROOT_LOGGER) root: PinoLogger) {
    this.logger = root.child({ component: 'exception-filter' });
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const mapped = mapError(exception, request.id);
    if (mapped.unexpected) {
      this.logger.error(
        { err: exception, request_id: request.id, route: request.routeOptions?.url },
        'unexpected error',
      );
    }
    reply.status(mapped.status).headers(mapped.headers).send(mapped.body);
  }
}
