import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '@athena/observability';

/** WebSocket gateway metrics, in the instance's registry (served by /metrics). */
@Injectable()
export class RealtimeMetrics {
  readonly connections: Gauge<string>;
  readonly subscriptions: Gauge<string>;
  readonly frames: Counter<'direction' | 'kind'>;
  readonly closed: Counter<'reason'>;
  readonly rejected: Counter<'reason'>;
  readonly events: Counter<'outcome'>;
  readonly inFlight: Gauge<string>;

  constructor(m: MetricsService) {
    const registers = [m.registry];
    this.connections = new Gauge({
      name: 'athena_wss_connections',
      help: 'Open WebSocket connections on this instance',
      registers,
    });
    this.subscriptions = new Gauge({
      name: 'athena_wss_subscriptions',
      help: 'Live subscriptions on this instance',
      registers,
    });
    this.inFlight = new Gauge({
      name: 'athena_wss_requests_in_flight',
      help: 'WebSocket request frames being processed',
      registers,
    });
    this.frames = new Counter({
      name: 'athena_wss_frames_total',
      help: 'WebSocket frames by direction (in|out) and kind (request|response|event|error|hello)',
      labelNames: ['direction', 'kind'] as const,
      registers,
    });
    this.closed = new Counter({
      name: 'athena_wss_closed_total',
      help: 'Closed WebSocket connections by reason (client|idle|heartbeat|slow_consumer|binary|too_big|shutdown)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.rejected = new Counter({
      name: 'athena_wss_upgrades_rejected_total',
      help: 'Refused WebSocket upgrades by reason (max_connections|max_connections_per_key|auth|disabled)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.events = new Counter({
      name: 'athena_wss_events_total',
      help: 'Write events by outcome (published|received|delivered|dropped_publish)',
      labelNames: ['outcome'] as const,
      registers,
    });
  }
}
