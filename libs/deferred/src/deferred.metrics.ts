import { Counter, Gauge } from 'prom-client';
import type { MetricsService } from '@athena/observability';
import { JOB_STATUSES, type DeferredQueueRepository } from './deferred.repository';

const STATS_TIMEOUT_MS = 2000;

/**
 * The deferred queue's Prometheus families (the seed's names). Depth, oldest age and storage_up are read from
 * the queue table at scrape time (one query per scrape, shared by the three gauges); events are counted as they
 * happen: `kind` = the job kind (fetch|query|insert|update|delete), `status` = the state the job entered
 * (queued|running|completed|failed).
 */
export class DeferredMetrics {
  readonly events: Counter<'kind' | 'status'>;
  readonly storageUp: Gauge<string>;

  constructor(metrics: MetricsService, repo: DeferredQueueRepository) {
    const registers = [metrics.registry];
    // The registry collects every family concurrently: the three gauges share one stats query per scrape.
    let pending: Promise<void> | null = null;
    const refresh = (): Promise<void> => {
      pending ??= (async () => {
        try {
          if (!repo.ready) throw new Error('control plane not ready');
          const s = await withTimeout(repo.stats(), STATS_TIMEOUT_MS);
          for (const st of JOB_STATUSES) requests.set({ status: st }, s.counts[st] ?? 0);
          oldest.set(s.oldestQueuedSecs);
          up.set(1);
        } catch {
          up.set(0);
        }
      })().finally(() => {
        pending = null;
      });
      return pending;
    };
    const requests = new Gauge({
      name: 'athena_gateway_deferred_queue_requests',
      help: 'Deferred requests in the queue by status (queued|running|completed|failed)',
      labelNames: ['status'] as const,
      registers,
      collect: refresh,
    });
    const oldest = new Gauge({
      name: 'athena_gateway_deferred_queue_oldest_age_seconds',
      help: 'Age in seconds of the oldest queued deferred request (0 when none is queued)',
      registers,
      collect: refresh,
    });
    const up = new Gauge({
      name: 'athena_gateway_deferred_queue_storage_up',
      help: '1 when the deferred queue table answered the last scrape, 0 otherwise',
      registers,
      collect: refresh,
    });
    this.storageUp = up;
    this.events = new Counter({
      name: 'athena_gateway_deferred_events_total',
      help: 'Deferred request lifecycle events by job kind and the status entered (queued|running|completed|failed)',
      labelNames: ['kind', 'status'] as const,
      registers,
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error('timeout')), ms))),
  ]);
}
