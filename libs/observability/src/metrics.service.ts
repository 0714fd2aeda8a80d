import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterBatch } from './counter-batch';

const STATUS_CLASS: Record<number, string> = { 1: '1xx', 2: '2xx', 3: '3xx', 4: '4xx', 5: '5xx' };
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type PoolGaugeSource = () => Array<{ client: string; total: number; idle: number; waiting: number }>;

/**
 * All Prometheus metrics of one gateway instance, in a registry of its own (several app instances in one
 * process — as in the e2e suite — never collide). Served as text by `GET /metrics`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly startedAt = process.hrtime.bigint();
  private poolSource: PoolGaugeSource = () => [];

  readonly httpRequests = new Counter({
    name: 'athena_http_requests_total',
    help: 'HTTP requests by method, route template and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'athena_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly operations = new Counter({
    name: 'athena_gateway_operations_total',
    help: 'Gateway operations by client, operation and outcome (success|client_error|server_error)',
    labelNames: ['client', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly operationErrors = new Counter({
    name: 'athena_gateway_operation_errors_total',
    help: 'Failed gateway operations by client, operation and error code',
    labelNames: ['client', 'operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly operationDuration = new Histogram({
    name: 'athena_gateway_operation_duration_seconds',
    help: 'Gateway operation latency by client and operation',
    labelNames: ['client', 'operation'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly singleflightShared = new Counter({
    name: 'athena_gateway_singleflight_shared_total',
    help: 'Fetches answered by joining an identical in-flight database execution',
    labelNames: ['client'] as const,
    registers: [this.registry],
  });

  readonly logDropped = new Counter({
    name: 'athena_gateway_log_dropped_total',
    help: 'Request/operation log rows dropped because the write buffer was full',
    labelNames: ['log'] as const,
    registers: [this.registry],
  });

  readonly logWriteFailures = new Counter({
    name: 'athena_gateway_log_write_failures_total',
    help: 'Failed batch writes of request/operation logs to the control plane',
    labelNames: ['log'] as const,
    registers: [this.registry],
  });

  readonly logRowsWritten = new Counter({
    name: 'athena_gateway_log_rows_written_total',
    help: 'Request/operation log rows written to the control plane',
    labelNames: ['log'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'athena_process_' });
    const startedAt = this.startedAt;
    new Gauge({
      name: 'athena_uptime_seconds',
      help: 'Seconds since this gateway process started serving',
      registers: [this.registry],
      collect() {
        this.set(Number(process.hrtime.bigint() - startedAt) / 1e9);
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with the metric as `this`
    const self = this;
    new Gauge({
      name: 'athena_gateway_pool_connections',
      help: 'Backend pool connections per client by state (total|idle|waiting)',
      labelNames: ['client', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of self.poolSource()) {
          this.set({ client: p.client, state: 'total' }, p.total);
          this.set({ client: p.client, state: 'idle' }, p.idle);
          this.set({ client: p.client, state: 'waiting' }, p.waiting);
        }
      },
    });
  }

  setPoolSource(source: PoolGaugeSource): void {
    this.poolSource = source;
  }

  /** Per-request counts are batched (CounterBatch) and histogram children are label-bound: cached per label set. */
  private readonly httpCounts = new CounterBatch(this.httpRequests);
  private readonly opCounts = new CounterBatch(this.operations);
  /**
   * Label-bound children, found through nested maps keyed by the label values themselves: a request builds no
   * key string. Bounded: routes are templates (unmatched paths collapse to "unmatched"), clients are catalog
   * names (unknown ones are reported as "unknown"), operations and outcomes are fixed sets.
   */
  private readonly httpChildren = new Map<string, Map<string, Array<Child | undefined>>>();
  private readonly opChildren = new Map<string, Map<string, Map<string, Child>>>();

  /** One gateway operation ended (label-bound children cached per client/operation/outcome). */
  observeOperation(client: string, operation: string, outcome: string, seconds: number): void {
    let byOp = this.opChildren.get(client);
    if (!byOp) this.opChildren.set(client, (byOp = new Map()));
    let byOutcome = byOp.get(operation);
    if (!byOutcome) byOp.set(operation, (byOutcome = new Map()));
    let child = byOutcome.get(outcome);
    if (!child) {
      child = {
        count: this.opCounts.slot(`${client}\u0000${operation}\u0000${outcome}`, { client, operation, outcome }),
        duration: this.operationDuration.labels({ client, operation }),
      };
      byOutcome.set(outcome, child);
    }
    child.count.n++;
    child.duration.observe(seconds);
  }

  /** Called from Fastify's onResponse hook for every request. */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    const cls = Math.floor(statusCode / 100);
    const slot = cls >= 1 && cls <= 5 ? cls : 0;
    let byMethod = this.httpChildren.get(route);
    if (!byMethod) this.httpChildren.set(route, (byMethod = new Map()));
    let byClass = byMethod.get(method);
    if (!byClass) byMethod.set(method, (byClass = []));
    let child = byClass[slot];
    if (!child) {
      const statusClass = STATUS_CLASS[slot] ?? 'other';
      const labels = { method, route, status_class: statusClass };
      child = {
        count: this.httpCounts.slot(`${method} ${route} ${statusClass}`, labels),
        duration: this.httpDuration.labels(labels),
      };
      byClass[slot] = child;
    }
    child.count.n++;
    child.duration.observe(seconds);
  }
}

interface Child {
  count: { n: number };
  duration: { observe(v: number): void };
}
