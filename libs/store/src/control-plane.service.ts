import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ATHENA_CONFIG, AthenaConfig, CONTROL_PLANE_TARGET, type ControlPlaneTarget } from '@athena/config';
import { createControlPlaneDataSource } from './data-source';

// The target is resolved at boot and provided by the config module; re-exported here for existing importers.
export { CONTROL_PLANE_TARGET, type ControlPlaneTarget } from '@athena/config';

type ReadyListener = () => void | Promise<void>;

/**
 * Owns the control-plane DataSource: connects, runs migrations (when `gateway.run_migrations`), and keeps
 * retrying in the background if the database is down at boot, so the process still serves `/health`
 * (503 on `/ready`) instead of crash-looping. Other services register `onReady` callbacks.
 */
@Injectable()
export class ControlPlaneService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ControlPlane');
  readonly dataSource: DataSource;
  private ready = false;
  private lastError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly listeners: ReadyListener[] = [];
  private closed = false;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    @Inject(CONTROL_PLANE_TARGET) readonly target: ControlPlaneTarget,
  ) {
    this.dataSource = createControlPlaneDataSource(target.uri);
  }

  get isReady(): boolean {
    return this.ready;
  }

  get error(): string | null {
    return this.lastError;
  }

  /** Run `fn` once the control plane is connected and migrated (immediately if it already is). */
  onReady(fn: ReadyListener): void {
    if (this.ready) void Promise.resolve(fn()).catch((e) => this.logger.error(`ready listener failed: ${msg(e)}`));
    else this.listeners.push(fn);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tryStart();
  }

  private async tryStart(): Promise<void> {
    if (this.closed) return;
    const started = Date.now();
    try {
      if (!this.dataSource.isInitialized) await this.dataSource.initialize();
      if (this.config.gateway.run_migrations) {
        const applied = await this.dataSource.runMigrations({ transaction: 'each' });
        if (applied.length > 0)
          this.logger.log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
      }
      this.ready = true;
      this.lastError = null;
      this.logger.log(`control plane ready (${this.target.origin}) in ${Date.now() - started} ms`);
      for (const fn of this.listeners.splice(0)) {
        try {
          await fn();
        } catch (e) {
          this.logger.error(`ready listener failed: ${msg(e)}`);
        }
      }
    } catch (e) {
      this.lastError = msg(e);
      this.logger.error(
        `control plane unavailable (${this.lastError}); retrying in 2 s — /ready answers 503 meanwhile`,
      );
      this.retryTimer = setTimeout(() => void this.tryStart(), 2000);
      this.retryTimer.unref();
    }
  }

  /** Cheap liveness probe for /health. */
  async ping(timeoutMs = 2000): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error(this.lastError ?? 'not connected');
    await withTimeout(this.dataSource.query('SELECT 1'), timeoutMs, 'control plane ping timed out');
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
