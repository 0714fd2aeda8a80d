import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';

/** A dedicated, fail-fast Redis connection used only by health checks (when `redis.url` is set). */
@Injectable()
export class RedisProbe implements OnApplicationShutdown {
  private client: Redis | null = null;

  constructor(@Inject(ATHENA_CONFIG) private readonly config: AthenaConfig) {}

  get configured(): boolean {
    return !!this.config.redis.url;
  }

  async ping(timeoutMs = 1000): Promise<number> {
    if (!this.config.redis.url) throw new Error('redis not configured');
    if (!this.client) {
      this.client = new Redis(this.config.redis.url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: timeoutMs,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      });
      this.client.on('error', () => undefined); // surfaced through ping(); avoid unhandled 'error' events
    }
    const started = Date.now();
    if (this.client.status === 'wait') await this.client.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`redis ping timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - started;
  }

  onApplicationShutdown(): void {
    this.client?.disconnect();
  }
}
