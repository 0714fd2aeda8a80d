import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

export const ROOT_LOGGER = Symbol.for('athena.rootLogger');

/**
 * Child-logger options for lines whose fields are all flat primitives (no objects, no raw headers or URIs):
 * no redaction pass (pino's wildcard paths walk every top-level field of every line).
 */
export const FLAT_LINE = { redact: { paths: [] as string[] } };

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
    // The fields are flat primitives (URLs already pass through redactUrl), so the root logger's redaction paths
    // (request headers, nested `*.uri` / `*.password`) can never match them: this child skips redaction, which
    // is most of the line's cost (13–15 → ~5 µs per line, bench/README.md "Issue 15, second round").
    this.log = root.child({ target: 'athena_rs::gateway_trace' }, FLAT_LINE);
  }

  /** False when the line would be dropped (level above info and the call succeeded): callers skip building it. */
  wanted(statusCode: number): boolean {
    return statusCode >= 500 || this.log.isLevelEnabled('info');
  }

  emit(fields: GatewayTraceFields): void {
    if (fields.status_code >= 500) this.log.error(fields, 'gateway_trace');
    else this.log.info(fields, 'gateway_trace');
  }
}
