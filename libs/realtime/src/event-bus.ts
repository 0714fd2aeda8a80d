import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { WriteEvent, WriteEvents } from '@athena/gateway';
import { ROOT_LOGGER } from '@athena/observability';
import { ConnectionRegistry } from './connection-registry';
import { RealtimeMetrics } from './realtime-metrics';

interface Envelope {
  /** Publishing instance. */
  i: string;
  e: WriteEvent;
}

/**
 * Carries write events between instances: every successful insert/update/delete (WriteEvents) is published on
 * the Redis channel `gateway.websocket.events_channel`; every instance (the publisher included) delivers what it
 * receives to its own subscriptions. Without Redis, or while publishing fails, events are delivered locally
 * only. Nothing is published while no instance-local listener exists and Redis is off (no work for nobody).
 */
@Injectable()
export class EventBus implements OnModuleInit, OnApplicationShutdown {
  readonly instanceId = randomUUID();
  private pub: Redis | null = null;
  private sub: Redis | null = null;
  private subscribed = false;
  private stopListening: (() => void) | null = null;
  private readonly logger: PinoLogger;
  private lastWarn = 0;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly writes: WriteEvents,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: RealtimeMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'wss-events' });
  }

  /** `redis` when events cross instances, `local` otherwise. */
  get mode(): 'redis' | 'local' {
    return this.subscribed ? 'redis' : 'local';
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.gateway.websocket.enabled) return;
    const url = this.config.redis.url;
    if (url) {
      const common = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true } as const;
      this.pub = new Redis(url, { ...common, connectionName: 'athena-wss-pub' });
      this.sub = new Redis(url, { ...common, connectionName: 'athena-wss-sub', enableOfflineQueue: true });
      for (const r of [this.pub, this.sub]) r.on('error', (e: Error) => this.warn('redis', e));
      this.sub.on('message', (_channel: string, msg: string) => this.onMessage(msg));
      try {
        await Promise.all([this.pub.connect(), this.sub.connect()]);
        await this.sub.subscribe(this.config.gateway.websocket.events_channel);
        this.subscribed = true;
        this.sub.on('ready', () => {
          this.subscribed = true;
        });
        this.sub.on('end', () => {
          this.subscribed = false;
        });
      } catch (e) {
        this.warn('subscribe', e as Error);
      }
    }
    this.stopListening = this.writes.listen((e) => this.publish(e));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopListening?.();
    for (const r of [this.sub, this.pub]) {
      if (!r) continue;
      try {
        await r.quit();
      } catch {
        r.disconnect();
      }
    }
  }

  private publish(e: WriteEvent): void {
    if (this.pub && this.subscribed && this.pub.status === 'ready') {
      const msg = JSON.stringify({ i: this.instanceId, e } satisfies Envelope);
      this.pub.publish(this.config.gateway.websocket.events_channel, msg).then(
        () => this.metrics.events.inc({ outcome: 'published' }),
        (err: Error) => {
          // Not published: this instance's subscribers still get it.
          this.metrics.events.inc({ outcome: 'dropped_publish' });
          this.warn('publish', err);
          this.registry.deliver(e);
        },
      );
      return;
    }
    this.registry.deliver(e);
  }

  private onMessage(msg: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(msg) as Envelope;
    } catch {
      return;
    }
    if (
      !env ||
      typeof env !== 'object' ||
      !env.e ||
      typeof env.e.client !== 'string' ||
      typeof env.e.table !== 'string' ||
      !Array.isArray(env.e.rows)
    )
      return;
    this.metrics.events.inc({ outcome: 'received' });
    this.registry.deliver(env.e);
  }

  private warn(what: string, e: Error): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.logger.warn(
      { during: what, err: e.message },
      'realtime event bus: Redis unavailable, events are delivered on this instance only',
    );
  }
}
