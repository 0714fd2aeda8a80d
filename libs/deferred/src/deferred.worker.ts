import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import { AuthenticationService } from '@athena/auth';
import type { CacheRoute } from '@athena/cache';
import { GatewayCall, ANONYMOUS } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { GatewayService } from '@athena/gateway';
import { mapError } from '@athena/http';
import { ROOT_LOGGER } from '@athena/observability';
import { DeferredQueueRepository, JobRow } from './deferred.repository';
import { DeferredService } from './deferred.service';
import { capResult } from './result-cap';

const REAP_EVERY_MS = 500;
const PURGE_EVERY_MS = 60_000;

/**
 * The deferred worker: claims queued jobs (`FOR UPDATE SKIP LOCKED`, a lease renewed while the job runs), rebuilds
 * each job's GatewayCall (origin.transport `worker`, the caller's principal re-established by
 * AuthenticationService.restore) and runs it through GatewayService — the same parsing, rights, cache
 * invalidation, logs and metrics as the synchronous call. Runs in the API process when
 * `gateway.deferred_query_worker_enabled`, and in `athena worker`.
 * Expired leases of other (dead) workers are reaped: a read-only job is retried, one that may have written is
 * failed `worker_lost`. On shutdown it stops claiming, waits for in-flight jobs within `api.shutdown_grace_ms`,
 * and puts read-only jobs still running back in the queue (writes keep their lease and expire as worker_lost).
 */
@Injectable()
export class DeferredWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger: PinoLogger;
  private readonly inflight = new Map<string, { job: JobRow; done: Promise<void> }>();
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private lastReap = 0;
  private lastPurge = 0;
  private lastStorageWarn = 0;
  /** Jobs this worker brought to a final state (logged on stop). */
  private finishedJobs = 0;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly repo: DeferredQueueRepository,
    private readonly deferred: DeferredService,
    private readonly gateway: GatewayService,
    private readonly authn: AuthenticationService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'deferred-worker', worker: this.owner });
  }

  onApplicationBootstrap(): void {
    if (this.config.gateway.deferred_query_worker_enabled) this.start();
  }

  /** Starts claiming (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    const g = this.config.gateway;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(200, Math.floor(g.deferred_query_lease_ms / 3)));
    this.renewTimer.unref();
    this.logger.info(
      {
        concurrency: g.deferred_query_worker_concurrency,
        lease_ms: g.deferred_query_lease_ms,
        poll_ms: g.deferred_query_worker_poll_ms,
      },
      'deferred worker started',
    );
    this.loopDone = this.loop();
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  private async loop(): Promise<void> {
    const g = this.config.gateway;
    while (!this.stopping) {
      let waitMs = g.deferred_query_worker_poll_ms;
      if (this.repo.ready) {
        try {
          await this.maintain();
          const free = g.deferred_query_worker_concurrency - this.inflight.size;
          if (free > 0) {
            const jobs = await this.repo.claim(this.owner, free, g.deferred_query_lease_ms);
            for (const j of jobs) this.run(j);
            if (jobs.length === free) waitMs = 0; // more may be waiting: claim again as soon as a slot frees
          }
        } catch (e) {
          this.storageWarn(e);
        }
      }
      if (this.stopping) break;
      if (waitMs === 0 && this.inflight.size < g.deferred_query_worker_concurrency) continue;
      await this.idle(waitMs === 0 ? g.deferred_query_worker_poll_ms : waitMs);
    }
  }

  /** Waits `ms` or until a job finishes / shutdown starts. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private async maintain(): Promise<void> {
    const now = Date.now();
    if (now - this.lastReap >= REAP_EVERY_MS) {
      this.lastReap = now;
      const expired = await this.repo.expireLeases(this.config.gateway.deferred_query_max_attempts);
      for (const r of expired) {
        this.deferred.metrics.events.inc({ kind: r.kind, status: r.status });
        this.logger.warn(
          { kind: r.kind, status: r.status },
          r.status === 'failed' ? 'lease expired: job failed (worker_lost)' : 'lease expired: read-only job requeued',
        );
      }
    }
    const retention = this.config.gateway.deferred_queue_retention_secs;
    if (retention > 0 && now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      const n = await this.repo.purge(retention);
      if (n > 0) this.logger.info({ purged: n, retention_secs: retention }, 'purged finished deferred requests');
    }
  }

  private run(job: JobRow): void {
    this.deferred.metrics.events.inc({ kind: job.kind, status: 'running' });
    const done = this.execute(job)
      .catch((e: unknown) => this.storageWarn(e))
      .finally(() => {
        this.inflight.delete(job.request_id);
        this.wake?.();
      });
    this.inflight.set(job.request_id, { job, done });
  }

  private async execute(job: JobRow): Promise<void> {
    const g = this.config.gateway;
    const call = this.callOf(job);
    let status: 'completed' | 'failed';
    let fin: Parameters<DeferredQueueRepository['finish']>[2];
    try {
      call.principal = await this.authn.restore(call, {
        kind: job.principal_kind,
        apiKeyId: job.api_key_id,
        publicId: job.api_key_public_id,
      });
      const out = await this.dispatch(call, job);
      const capped = capResult(out.body, g.deferred_query_result_max_bytes);
      status = 'completed';
      fin = {
        status,
        reason: null,
        result: capped.result,
        resultStatus: out.status,
        truncated: capped.truncated,
        error: null,
      };
    } catch (err) {
      const m = mapError(err, job.request_id);
      if (m.status >= 500 && job.read_only && job.attempts < g.deferred_query_max_attempts) {
        // Transient failure of a read: back to the queue with a growing delay.
        if (await this.repo.release(job, this.owner, job.attempts * 1000, 'retry_after_error', false)) {
          this.deferred.metrics.events.inc({ kind: job.kind, status: 'queued' });
        }
        return;
      }
      status = 'failed';
      const capped = capResult(m.body, g.deferred_query_result_max_bytes);
      fin = {
        status,
        reason: 'error',
        result: capped.result,
        resultStatus: m.status,
        truncated: capped.truncated,
        error: `${m.body.code}: ${m.body.message}`,
      };
    }
    if (await this.repo.finish(job, this.owner, fin)) {
      this.finishedJobs++;
      this.deferred.metrics.events.inc({ kind: job.kind, status });
    } else {
      this.logger.warn(
        { request_id: job.request_id },
        'deferred job finished after its claim was lost; outcome discarded',
      );
    }
  }

  private dispatch(call: GatewayCall, job: JobRow) {
    switch (job.kind) {
      case 'fetch':
        return this.gateway.fetch(call, job.payload, (job.call.cacheRoute ?? 'gateway_fetch') as CacheRoute);
      case 'query':
        return this.gateway.query(call, job.payload);
      case 'insert':
        return this.gateway.insert(call, job.payload);
      case 'update':
        return this.gateway.update(call, job.payload);
      case 'delete':
        return this.gateway.delete(call, job.payload);
    }
  }

  /** The job's GatewayCall (its principal is set by restore). */
  private callOf(job: JobRow): GatewayCall {
    const c = job.call;
    return {
      requestId: job.request_id,
      client: job.client_name,
      target: { directUri: null, supabaseUrl: undefined, supabaseKey: undefined },
      principal: { context: ANONYMOUS },
      cache: { read: c.cache?.read ?? true, write: c.cache?.write ?? true },
      stripNulls: c.stripNulls ?? undefined,
      tenant: c.tenant ?? { userId: null, companyId: null, organizationId: null },
      deadline: null,
      origin: {
        transport: 'worker',
        method: job.method,
        url: job.route,
        ip: c.ip ?? null,
        userAgent: c.userAgent ?? null,
        host: c.host ?? null,
      },
    };
  }

  private async renew(): Promise<void> {
    if (this.inflight.size === 0 || !this.repo.ready) return;
    try {
      await this.repo.renew(this.owner, [...this.inflight.keys()], this.config.gateway.deferred_query_lease_ms);
    } catch (e) {
      this.storageWarn(e);
    }
  }

  private storageWarn(e: unknown): void {
    this.deferred.metrics.storageUp.set(0);
    const now = Date.now();
    if (now - this.lastStorageWarn > 5000) {
      this.lastStorageWarn = now;
      this.logger.warn({ err: (e as Error).message }, 'deferred queue storage error; the worker keeps retrying');
    }
  }

  /** Stops claiming; waits for in-flight jobs within `api.shutdown_grace_ms`; releases read-only jobs still running. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    const grace = Math.floor(this.config.api.shutdown_grace_ms * 0.8);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((r) => (timer = setTimeout(r, grace)));
    await Promise.race([Promise.all([...this.inflight.values()].map((f) => f.done)), graceOver]);
    clearTimeout(timer);
    const left = [...this.inflight.values()].map((f) => f.job);
    for (const job of left) {
      if (!job.read_only) continue;
      const ok = await this.repo.release(job, this.owner, 0, 'released_on_shutdown', true).catch(() => false);
      if (ok) this.deferred.metrics.events.inc({ kind: job.kind, status: 'queued' });
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.running = false;
    this.logger.info({ finished_jobs: this.finishedJobs, unfinished: left.length }, 'deferred worker stopped');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
