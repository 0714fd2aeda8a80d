import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { CONTROL_PLANE_TARGET, ControlPlaneService, ControlPlaneTarget } from './control-plane.service';

/** Payload delivered to subscribers after a reconnect: notifications may have been missed, resync everything. */
export const EVENTS_RESYNC = '__resync__';

type Handler = (payload: string) => void;

const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const RECONNECT_MS = 2000;

/**
 * Cross-instance change notifications over PostgreSQL LISTEN/NOTIFY on the control-plane database
 * (works without Redis). One dedicated connection per process listens; writers publish with
 * `pg_notify` inside their transaction (delivered on commit) and call `emitLocal` so this instance
 * reacts before the response is sent. After a lost connection, subscribers get EVENTS_RESYNC.
 */
@Injectable()
export class ControlPlaneEvents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ControlPlaneEvents');
  private readonly handlers = new Map<string, Set<Handler>>();
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private connectedOnce = false;

  constructor(
    private readonly cp: ControlPlaneService,
    @Inject(CONTROL_PLANE_TARGET) private readonly target: ControlPlaneTarget,
  ) {}

  get listening(): boolean {
    return this.client !== null;
  }

  subscribe(channel: string, fn: Handler): () => void {
    if (!CHANNEL_RE.test(channel)) throw new Error(`invalid notification channel "${channel}"`);
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      if (this.client)
        void this.client
          .query(`LISTEN ${channel}`)
          .catch((e) => this.logger.warn(`LISTEN ${channel} failed: ${(e as Error).message}`));
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Delivers a change to this instance's subscribers right away (the NOTIFY reaches the others). */
  emitLocal(channel: string, payload: string): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(payload);
      } catch (e) {
        this.logger.error(`handler for ${channel} failed: ${(e as Error).message}`);
      }
    }
  }

  onApplicationBootstrap(): void {
    this.cp.onReady(() => this.connect());
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.target.uri,
      application_name: 'athena-events',
      connectionTimeoutMillis: 5000,
    });
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn(
        `notification connection lost (${why}); reconnecting in ${RECONNECT_MS} ms — caches resync on reconnect`,
      );
      this.scheduleReconnect();
    };
    client.on('error', (e) => lost(e.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (n) => this.emitLocal(n.channel, n.payload ?? ''));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      if (this.connectedOnce) {
        this.logger.log('notification connection restored');
        for (const channel of this.handlers.keys()) this.emitLocal(channel, EVENTS_RESYNC);
      }
      this.connectedOnce = true;
    } catch (e) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn(`cannot LISTEN on the control plane (${(e as Error).message}); retrying in ${RECONNECT_MS} ms`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
