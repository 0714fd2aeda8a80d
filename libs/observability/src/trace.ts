import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

export const ROOT_LOGGER = Symbol.for('athena.rootLogger');

/** The one wide `gateway_trace` line per gateway call (reference §8.3). */
export interface GatewayTraceFields {
  request_id: string;
  client: string | null;
  method: string;
  path: string;
  operation: string;
  table_name: string | null;
  resource_id?: string | null;
  status_code: number;
  outcome: 'success' | 'client_error' | 'server_error' | 'cached';
  duration_ms: number;
  backend: string | null;
  cache_outcome?: string | null;
  cache_key?: string | null;
  rows_returned?: number | null;
  rows_affected?: number | null;
  error_class?: string | null;
  error?: string | null;
}

@Injectable()
export class GatewayTrace {
  private readonly log: PinoLogger;

  constructor(@Inject(ROOT_LOGGER) root: PinoLogger) {
    this.log = root.child({ target: 'athena_rs::gateway_trace' });
  }

  emit(fields: GatewayTraceFields): void {
    if (fields.status_code >= 500) this.log.error(fields, 'gateway_trace');
    else this.log.info(fields, 'gateway_trace');
  }
}
