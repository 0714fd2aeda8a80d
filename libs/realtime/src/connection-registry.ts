import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { ROOT_LOGGER } from '@athena/observability';
import { isAuthPrincipal } from '@athena/auth';
import type { WriteEvent } from '@athena/gateway';
import { CLOSE, EventFrame } from './frames';
import type { Connection, Subscription } from './connection';
import { RealtimeMetrics } from './realtime-metrics';
import { rowMatches } from './row-filter';

export type CloseReason = 'client' | 'idle' | 'heartbeat' | 'slow_consumer' | 'binary' | 'too_big' | 'shutdown';

/**
 * The connection registry of one instance: open connections with their counters, live subscriptions indexed by
 * (client, table), the bounded send path (a consumer whose unsent bytes pass `send_queue_max_bytes` is closed
 * with 4008), and the delivery of write events to matching subscriptions.
 */
@Injectable()
export class ConnectionRegistry {
  private readonly conns = new Map<string, Connection>();
  private readonly perKey = new Map<string, number>();
  /** `client\0table` → subscriptions. */
  private readonly index = new Map<string, Set<Subscription>>();
  private subCount = 0;
  private readonly logger: PinoLogger;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly metrics: RealtimeMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'wss' });
  }

  get size(): number {
    return this.conns.size;
  }

  get subscriptionCount(): number {
    return this.subCount;
  }

  all(): IterableIterator<Connection> {
    return this.conns.values();
  }

  /** Null when the connection may open; otherwise the limit it would break. */
  admit(keyId: string | null): 'max_connections' | 'max_connections_per_key' | null {
    const ws = this.config.gateway.websocket;
    if (this.conns.size >= ws.max_connections) return 'max_connections';
    if (keyId !== null && (this.perKey.get(keyId) ?? 0) >= ws.max_connections_per_key) return 'max_connections_per_key';
    return null;
  }

  add(c: Connection): void {
    this.conns.set(c.id, c);
    if (c.keyId !== null) this.perKey.set(c.keyId, (this.perKey.get(c.keyId) ?? 0) + 1);
    this.metrics.connections.set(this.conns.size);
  }

  /** Forgets the connection and its subscriptions (idempotent). */
  remove(c: Connection, reason: CloseReason): void {
    if (!this.conns.delete(c.id)) return;
    if (c.keyId !== null) {
      const n = (this.perKey.get(c.keyId) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(c.keyId);
      else this.perKey.set(c.keyId, n);
    }
    for (const s of c.subs.values()) this.unindex(s);
    c.subs.clear();
    this.metrics.connections.set(this.conns.size);
    this.metrics.closed.inc({ reason });
  }

  subscribe(s: Subscription): void {
    s.conn.subs.set(s.id, s);
    const k = `${s.client}\u0000${s.table}`;
    let set = this.index.get(k);
    if (!set) this.index.set(k, (set = new Set()));
    set.add(s);
    this.subCount++;
    this.metrics.subscriptions.set(this.subCount);
  }

  unsubscribe(c: Connection, id: string): boolean {
    const s = c.subs.get(id);
    if (!s) return false;
    c.subs.delete(id);
    this.unindex(s);
    return true;
  }

  private unindex(s: Subscription): void {
    const k = `${s.client}\u0000${s.table}`;
    const set = this.index.get(k);
    if (set?.delete(s)) {
      this.subCount--;
      if (set.size === 0) this.index.delete(k);
      this.metrics.subscriptions.set(this.subCount);
    }
  }

  /** Sends a frame unless the connection is closing; closes a consumer that fell behind. */
  send(c: Connection, frame: object, kind: 'response' | 'event' | 'hello' | 'error'): boolean {
    if (c.closing) return false;
    const text = JSON.stringify(frame);
    const limit = this.config.gateway.websocket.send_queue_max_bytes;
    if (c.socket.bufferedAmount + text.length > limit) {
      this.close(c, CLOSE.slowConsumer, `slow consumer: more than ${limit} bytes unsent`, 'slow_consumer');
      return false;
    }
    c.socket.send(text);
    c.framesOut++;
    c.bytesOut += text.length;
    this.metrics.frames.inc({ direction: 'out', kind });
    return true;
  }

  /**
   * Closes with `code`: no further frames are queued, the close frame follows what is already buffered, and
   * the socket is terminated `close_grace_ms` later if the peer has not completed the close handshake.
   */
  close(c: Connection, code: number, reason: string, why: CloseReason): void {
    if (c.closing) return;
    c.closing = true;
    this.remove(c, why);
    if (why !== 'client') this.logger.info({ connection_id: c.id, code, reason: why }, 'closing WebSocket connection');
    try {
      c.socket.close(code, reason.slice(0, 120));
    } catch {
      c.socket.terminate();
      return;
    }
    const grace = this.config.gateway.websocket.close_grace_ms;
    const t = setTimeout(() => c.socket.terminate(), grace);
    t.unref();
    c.socket.once('close', () => clearTimeout(t));
  }

  /** Delivers one write event to the matching subscriptions of this instance. */
  deliver(e: WriteEvent): number {
    const set = this.index.get(`${e.client}\u0000${e.table}`);
    if (!set) return 0;
    let sent = 0;
    const at = new Date(e.at).toISOString();
    for (const s of set) {
      if (!stillAllowed(s)) continue;
      const rows = s.filters.length === 0 ? e.rows : e.rows.filter((r) => rowMatches(r, s.filters));
      if (rows.length === 0) continue;
      const frame: EventFrame = {
        type: 'event',
        request_id: null,
        status: 'success',
        message: `${e.operation} on ${e.table}`,
        subscription_id: s.id,
        operation: e.operation,
        client: e.client,
        table: e.table,
        rows,
        write_request_id: e.requestId,
        at,
      };
      if (this.send(s.conn, frame, 'event')) {
        s.events++;
        s.conn.eventsOut++;
        sent++;
      }
    }
    if (sent > 0) this.metrics.events.inc({ outcome: 'delivered' }, sent);
    return sent;
  }

  /** A summary for /wss/info and the per-connection view for the admin route. */
  snapshot(detail: boolean): Record<string, unknown> {
    const ws = this.config.gateway.websocket;
    const out: Record<string, unknown> = {
      open: this.conns.size,
      max: ws.max_connections,
      max_per_key: ws.max_connections_per_key,
      subscriptions: this.subCount,
    };
    if (detail) {
      out.list = [...this.conns.values()].map((c) => ({
        id: c.id,
        ip: c.ip,
        user_agent: c.userAgent,
        key_public_id: c.keyId,
        opened_at: new Date(c.openedAt).toISOString(),
        last_frame_at: new Date(c.lastFrameAt).toISOString(),
        in_flight: c.inFlight,
        frames_in: c.framesIn,
        frames_out: c.framesOut,
        events_out: c.eventsOut,
        errors: c.errors,
        bytes_out: c.bytesOut,
        buffered_bytes: c.socket.bufferedAmount,
        subscriptions: [...c.subs.values()].map((s) => ({
          id: s.id,
          client: s.client,
          table: s.table,
          conditions: s.filters.length,
          events: s.events,
        })),
      }));
    }
    return out;
  }
}

/** Delivery re-checks the subscriber's right (a key whose grants changed since subscribing gets nothing). */
function stillAllowed(s: Subscription): boolean {
  const p = s.principal;
  if (!isAuthPrincipal(p) || p.kind !== 'key' || p.key === null) return true;
  return !p.enforced || p.key.matcher.allows(s.right);
}
