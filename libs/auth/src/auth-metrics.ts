import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '@athena/observability';

/** Auth metrics, registered on the instance's registry (served by /metrics). */
@Injectable()
export class AuthMetrics {
  readonly outcomes: Counter<'outcome' | 'reason' | 'enforced'>;
  readonly keyCache: Counter<'result'>;
  readonly deprecatedQueryKey: Counter<'source'>;
  readonly storeErrors: Counter<'operation'>;
  readonly logDropped: Counter;
  readonly logWriteFailures: Counter<'write'>;

  /** outcome → enforced → reason → bound child (no string building or label lookup per request). */
  private readonly outcomeChildren = new Map<string, [Map<string, { inc(): void }>, Map<string, { inc(): void }>]>();
  /** Label-bound children (no label lookup per request on the hot path). */
  keyCacheHit: { inc(): void };
  keyCacheMiss: { inc(): void };

  countOutcome(outcome: string, reason: string, enforced: boolean): void {
    let pair = this.outcomeChildren.get(outcome);
    if (!pair) {
      pair = [new Map(), new Map()];
      this.outcomeChildren.set(outcome, pair);
    }
    const byReason = pair[enforced ? 1 : 0];
    let c = byReason.get(reason);
    if (!c) {
      c = this.outcomes.labels({ outcome, reason, enforced: enforced ? 'true' : 'false' });
      byReason.set(reason, c);
    }
    c.inc();
  }

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.outcomes = new Counter({
      name: 'athena_auth_outcomes_total',
      help: 'Authentication/authorization outcomes on protected routes by outcome (allowed|denied|error|fail_open), reason code and whether enforcement applied',
      labelNames: ['outcome', 'reason', 'enforced'] as const,
      registers,
    });
    this.keyCache = new Counter({
      name: 'athena_auth_key_cache_total',
      help: 'Verified-key cache lookups (hit|miss)',
      labelNames: ['result'] as const,
      registers,
    });
    this.keyCacheHit = this.keyCache.labels({ result: 'hit' });
    this.keyCacheMiss = this.keyCache.labels({ result: 'miss' });
    this.deprecatedQueryKey = new Counter({
      name: 'athena_auth_deprecated_query_key_total',
      help: 'Keys presented in the query string (deprecated transport; redacted from logs)',
      labelNames: ['source'] as const,
      registers,
    });
    this.storeErrors = new Counter({
      name: 'athena_auth_store_errors_total',
      help: 'Failed reads of the auth store (key lookup, enforcement lookup)',
      labelNames: ['operation'] as const,
      registers,
    });
    this.logDropped = new Counter({
      name: 'athena_auth_log_dropped_total',
      help: 'api_key_auth_log rows dropped because the write buffer was full',
      registers,
    });
    this.logWriteFailures = new Counter({
      name: 'athena_auth_log_write_failures_total',
      help: 'Failed batch writes of api_key_auth_log rows or last_used_at updates',
      labelNames: ['write'] as const,
      registers,
    });
  }
}
