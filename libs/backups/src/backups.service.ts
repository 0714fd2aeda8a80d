import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { ResponseCacheService } from '@athena/cache';
import { ClientCatalogService } from '@athena/catalog';
import { AthenaError } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { ClientDescriptor, DriverRegistry } from '@athena/drivers';
import { ok, SuccessEnvelope } from '@athena/http';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import {
  BackupJobKind,
  BackupJobRecord,
  BackupJobsRepository,
  BackupJobStatus,
  ControlPlaneService,
} from '@athena/store';
import { buildBackupKey, DEFAULT_LABEL, KEY_TIMESTAMP_RE, validateBackupKey } from './backup-keys';
import { BackupMetrics } from './backup-metrics';
import { BackupSettings, resolveBackupSettings } from './backup-settings';
import { BackupObjectMeta, BackupStorage, storageError } from './backup-storage';
import {
  candidateDirs,
  connectionFor,
  discoverToolSets,
  parseToolVersion,
  pickToolSet,
  PgToolSet,
  toolEnv,
} from './pg-tools';
import { HashingGate, IntegrityError, VerifyingHoldback } from './streams';
import { BackupsErrors } from './errors';

/** Progress rows and heartbeats of running jobs. */
const HEARTBEAT_MS = 1000;
/** A live job whose heartbeat is older than this belonged to a dead instance. */
const STALE_MS = 60_000;
const STDERR_TAIL = 2000;
/** Retry period of the cleanups of failed uploads that S3 did not accept (it was down). */
const CLEANUP_RETRY_MS = 30_000;

type AbortReason = 'cancelled' | 'shutdown';

/** Per-job cancellation and progress, shared by the runner and the heartbeat. */
class JobContext {
  reason: AbortReason | null = null;
  bytes = 0;
  private readonly hooks: Array<() => void> = [];

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    for (const h of this.hooks.splice(0)) h();
  }

  onAbort(fn: () => void): void {
    if (this.reason) fn();
    else this.hooks.push(fn);
  }

  throwIfAborted(): void {
    if (this.reason) throw new JobAborted(this.reason);
  }
}

class JobAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(reason === 'cancelled' ? 'cancelled by an admin request' : 'the instance running this job shut down');
  }
}

/** How a job ended: its final row and, unless it completed, the error. */
export interface Finished {
  record: BackupJobRecord;
  error: unknown;
}

interface LiveJob {
  ctx: JobContext;
  done: Promise<Finished>;
}

interface Outcome {
  bytes: number;
  size?: number;
  sha256?: string;
}

/** A process's stderr, last STDERR_TAIL characters (tool messages never contain the password: it is not on argv). */
function stderrTail(stream: Readable | null): () => string {
  let buf = '';
  stream?.on('data', (d: Buffer) => {
    buf = (buf + d.toString()).slice(-STDERR_TAIL);
  });
  return () => buf.trim();
}

function excerpt(e: unknown): string {
  const m = e instanceof AthenaError ? e.detail : e instanceof Error ? e.message : String(e);
  return m.length > STDERR_TAIL ? `…${m.slice(-STDERR_TAIL)}` : m;
}

/**
 * Backup and restore jobs. Backup: `pg_dump -Fc` → SHA-256/byte counter → S3 multipart upload (never the whole
 * dump in memory); the object only exists once the upload completes and pg_dump exited 0, then its metadata is
 * rewritten with size and SHA-256. Restore: S3 → verifier → `pg_restore --single-transaction --exit-on-error`,
 * so a failure rolls everything back. Jobs are rows in `backup_jobs`; at most one live job per client (all
 * instances), at most `max_concurrent_jobs` running per instance (the rest wait as pending).
 */
@Injectable()
export class BackupsService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  readonly instanceId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly settings: BackupSettings | null;
  private readonly missing: string | null;
  private readonly storage: BackupStorage | null;
  readonly metrics: BackupMetrics;
  private readonly live = new Map<number, LiveJob>();
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private toolSets: Promise<PgToolSet[]> | null = null;
  private cleanupTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(ATHENA_CONFIG) config: AthenaConfig,
    private readonly catalog: ClientCatalogService,
    private readonly drivers: DriverRegistry,
    private readonly jobs: BackupJobsRepository,
    private readonly controlPlane: ControlPlaneService,
    private readonly cache: ResponseCacheService,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'backups' });
    const r = resolveBackupSettings(config);
    this.settings = r.settings;
    this.missing = r.missing;
    this.storage = r.settings ? new BackupStorage(r.settings) : null;
    this.metrics = new BackupMetrics(metrics);
  }

  /** False when no bucket is configured (every route answers 503). */
  get enabled(): boolean {
    return this.settings !== null;
  }

  onApplicationBootstrap(): void {
    if (!this.settings) {
      this.logger.info(`backups disabled: ${this.missing}`);
      return;
    }
    this.controlPlane.onReady(async () => {
      const n = await this.jobs.reapStale(STALE_MS);
      if (n > 0) this.logger.warn(`marked ${n} backup job(s) of stopped instances failed (job_lost)`);
    });
    this.cleanupTimer = setInterval(() => void this.retryCleanups(), CLEANUP_RETRY_MS);
    this.cleanupTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = [...this.live.values()];
    for (const j of running) j.ctx.abort('shutdown');
    await Promise.race([
      Promise.allSettled(running.map((j) => j.done)),
      new Promise((r) => setTimeout(r, 10_000).unref()),
    ]);
  }

  onApplicationShutdown(): void {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.storage?.destroy();
  }

  // ---------------------------------------------------------------- routes

  async createBackup(
    clientName: string,
    label: string | null | undefined,
  ): Promise<{ status: number; body: SuccessEnvelope }> {
    const { settings } = this.requireStorage();
    const { job, done } = await this.startBackup(clientName, label);
    return this.answer(job, done, settings.waitMs, (r) => ({
      message: 'Backup completed',
      data: {
        key: r.key,
        client_name: r.client_name,
        label: r.label,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
        job: r,
      },
    }));
  }

  /** Inserts and launches a backup job; `done` settles when it ends (the scheduler waits on it without a timeout). */
  async startBackup(
    clientName: string,
    label: string | null | undefined,
  ): Promise<{ job: BackupJobRecord; done: Promise<Finished> }> {
    const { settings, storage } = this.requireStorage();
    const desc = this.pgClient(clientName);
    await this.retryCleanups();
    const lbl = label ?? DEFAULT_LABEL;
    const key = buildBackupKey(settings.prefix, desc.name, lbl, new Date());
    const job = await this.insertJob('backup', desc.name, lbl, key, storage.bucket);
    return { job, done: this.launch(job, (ctx) => this.runBackup(job, desc, storage, ctx)) };
  }

  /**
   * Keep-last-N: deletes the oldest objects of `clientName` with `label` beyond the newest `keepLast` (keys
   * `<prefix>/<client>/<timestamp>-<label>.dump` whose metadata names the same client and label). Objects of other
   * clients and labels (manual backups, other schedules) are never touched. Returns the deleted keys.
   */
  async applyRetention(clientName: string, label: string, keepLast: number): Promise<string[]> {
    const { settings, storage } = this.requireStorage();
    const desc = this.pgClient(clientName);
    const folder = `${settings.prefix ? `${settings.prefix}/` : ''}${desc.name}`;
    const suffix = `-${label}.dump`;
    const ours = (await storage.list(folder)).filter((o) => {
      const name = o.key.slice(folder.length + 1);
      return (
        o.key.startsWith(`${folder}/`) &&
        !name.includes('/') &&
        name.endsWith(suffix) &&
        KEY_TIMESTAMP_RE.test(name.slice(0, -suffix.length)) &&
        (o.client_name ?? '').toLowerCase() === desc.name.toLowerCase() &&
        o.label === label
      );
    });
    // The key's UTC timestamp orders them (fixed width, sortable).
    ours.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const deleted: string[] = [];
    for (const o of ours.slice(keepLast)) {
      await storage.delete(o.key);
      deleted.push(o.key);
      this.metrics.retentionDeleted.inc({ client: desc.name });
      this.logger.info(
        { client: desc.name, key: o.key, label, keep_last: keepLast },
        `retention deleted backup ${o.key} (keep_last ${keepLast})`,
      );
    }
    return deleted;
  }

  async createRestore(rawKey: string, clientName: string): Promise<{ status: number; body: SuccessEnvelope }> {
    const { settings, storage } = this.requireStorage();
    const key = validateBackupKey(settings.prefix, rawKey);
    const desc = this.pgClient(clientName);
    if (desc.readOnly) {
      throw BackupsErrors.clientReadOnly(
        'Client is read-only',
        `Client "${desc.name}" is declared read_only; a restore would write to it`,
      );
    }
    const head = await storage.head(key);
    if (!head)
      throw BackupsErrors.backupNotFound('Backup not found', `No backup object ${key} in bucket ${storage.bucket}`);
    const job = await this.insertJob('restore', desc.name, head.meta.label ?? null, key, storage.bucket);
    const done = this.launch(job, (ctx) => this.runRestore(job, desc, storage, ctx));
    return this.answer(job, done, settings.waitMs, (r) => ({
      message: 'Restore completed',
      data: { key: r.key, client_name: r.client_name, source_client_name: head.meta['client-name'] ?? null, job: r },
    }));
  }

  async listBackups(clientName?: string): Promise<SuccessEnvelope> {
    const { settings, storage } = this.requireStorage();
    await this.retryCleanups();
    const folder = clientName ? `${settings.prefix ? `${settings.prefix}/` : ''}${clientName}` : settings.prefix;
    const backups = (await storage.list(folder)).filter(
      (b) => !clientName || (b.client_name ?? '').toLowerCase() === clientName.toLowerCase(),
    );
    return ok(`${backups.length} ${backups.length === 1 ? 'backup' : 'backups'}`, { backups });
  }

  async download(rawKey: string): Promise<{ body: Readable; size: number; key: string }> {
    const { settings, storage } = this.requireStorage();
    const key = validateBackupKey(settings.prefix, rawKey);
    const o = await storage.get(key);
    return { body: o.body, size: o.size, key };
  }

  async deleteBackup(rawKey: string): Promise<SuccessEnvelope> {
    const { settings, storage } = this.requireStorage();
    const key = validateBackupKey(settings.prefix, rawKey);
    if (!(await storage.head(key)))
      throw BackupsErrors.backupNotFound('Backup not found', `No backup object ${key} in bucket ${storage.bucket}`);
    await storage.delete(key);
    return ok('Backup deleted', { key });
  }

  async listJobs(opts: {
    limit: number;
    before?: number;
    client_name?: string;
    status?: BackupJobStatus;
    kind?: BackupJobKind;
  }): Promise<SuccessEnvelope> {
    const jobs = await this.jobs.list({
      limit: opts.limit,
      beforeId: opts.before,
      clientName: opts.client_name,
      status: opts.status,
      kind: opts.kind,
    });
    const next = jobs.length === opts.limit ? jobs[jobs.length - 1].job_id : null;
    return ok(`${jobs.length} ${jobs.length === 1 ? 'job' : 'jobs'}`, { jobs, next_before: next });
  }

  async getJob(id: number): Promise<SuccessEnvelope> {
    const job = await this.jobs.get(id);
    if (!job) throw BackupsErrors.backupJobNotFound('Backup job not found', `No backup job has id ${id}`);
    return ok(`Job ${job.status}`, { job: this.withProgress(job) });
  }

  async cancelJob(id: number): Promise<SuccessEnvelope> {
    const job = await this.jobs.requestCancel(id);
    if (!job) throw BackupsErrors.backupJobNotFound('Backup job not found', `No backup job has id ${id}`);
    if (job.status !== 'pending' && job.status !== 'running') {
      throw BackupsErrors.jobNotCancellable(
        'Job already finished',
        `Job ${id} is ${job.status}; only pending or running jobs can be cancelled`,
      );
    }
    const local = this.live.get(id);
    if (local) {
      local.ctx.abort('cancelled');
      const f = await local.done;
      return ok(`Job ${f.record.status}`, { job: f.record });
    }
    // Another instance runs it: it sees cancel_requested with its next heartbeat (about a second).
    return ok('Cancel requested; the instance running the job stops it within a few seconds', { job });
  }

  // ---------------------------------------------------------------- job machinery

  /** Retries the abort/delete of failed uploads that S3 did not accept when they failed (no-op when none). */
  private async retryCleanups(): Promise<void> {
    const storage = this.storage;
    if (!storage || storage.pendingDiscards === 0) return;
    const before = storage.pendingDiscards;
    const left = await storage.retryDiscards();
    this.metrics.pendingCleanups.set(left);
    if (left < before)
      this.logger.info(
        { cleaned: before - left, pending: left },
        `aborted ${before - left} unfinished backup upload(s) left by S3 outages`,
      );
  }

  /** Aborts the multipart upload of a failed backup and deletes any object under its key (retried later when S3 is down). */
  private async discardUpload(storage: BackupStorage, job: BackupJobRecord): Promise<void> {
    if (!(await storage.discard(job.key))) {
      this.logger.warn(
        { job_id: job.job_id, key: job.key },
        `could not abort the upload of ${job.key} (S3 unreachable); retrying every ${CLEANUP_RETRY_MS / 1000} s`,
      );
    }
    this.metrics.pendingCleanups.set(storage.pendingDiscards);
  }

  private requireStorage(): { settings: BackupSettings; storage: BackupStorage } {
    if (!this.settings || !this.storage) {
      throw BackupsErrors.backupStorageNotConfigured(
        'Backup storage is not configured',
        `Backups need S3 storage: ${this.missing}`,
      );
    }
    return { settings: this.settings, storage: this.storage };
  }

  private pgClient(name: string): ClientDescriptor {
    const entry = this.catalog.list().find((e) => e.name.toLowerCase() === name.toLowerCase());
    if (!entry) throw BackupsErrors.clientNotFound('Unknown client', `No client named "${name}" is registered`);
    if (entry.backend !== 'postgres') {
      throw BackupsErrors.unsupportedByBackend(
        'Backups need a PostgreSQL client',
        `Client "${entry.name}" is a ${entry.backend} client; pg_dump/pg_restore work on PostgreSQL clients only`,
      );
    }
    if (!entry.descriptor) {
      throw BackupsErrors.clientUnconfigured(
        'Client has no connection configured',
        `Client "${entry.name}" has no connection URI (is its environment variable set?)`,
      );
    }
    return this.catalog.resolve(entry.name);
  }

  private async insertJob(
    kind: BackupJobKind,
    client: string,
    label: string | null,
    key: string,
    bucket: string,
  ): Promise<BackupJobRecord> {
    const row = { kind, client_name: client, label, key, bucket, instance_id: this.instanceId };
    let job = await this.jobs.insert(row);
    if (!job && (await this.jobs.reapStale(STALE_MS, client)) > 0) job = await this.jobs.insert(row);
    if (job) return job;
    const other = await this.jobs.liveForClient(client);
    throw BackupsErrors.backupJobInProgress(
      'Another job is running for this client',
      `Client "${client}" already has a ${other?.status ?? 'live'} ${other?.kind ?? 'backup'} job${other ? ` (job_id ${other.job_id})` : ''}; one job per client at a time — wait for it or cancel it`,
      other ? { job_id: other.job_id } : {},
      {},
    );
  }

  /** 200 with `shape(record)` when the job ends within `waitMs`; its error when it failed; else 202 with the job. */
  private async answer(
    job: BackupJobRecord,
    done: Promise<Finished>,
    waitMs: number,
    shape: (r: BackupJobRecord) => { message: string; data: unknown },
  ): Promise<{ status: number; body: SuccessEnvelope }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), waitMs);
    });
    const f = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (!f) {
      const current = (await this.jobs.get(job.job_id).catch(() => null)) ?? job;
      return {
        status: 202,
        body: ok(`Job ${current.job_id} accepted; poll GET /admin/backups/jobs/${current.job_id}`, {
          job_id: current.job_id,
          client_name: current.client_name,
          status: current.status,
          key: current.key,
          job: current,
        }),
      };
    }
    if (f.record.status === 'completed') {
      const s = shape(f.record);
      return { status: 200, body: ok(s.message, s.data) };
    }
    if (f.error instanceof AthenaError)
      throw new AthenaError(f.error.status, f.error.code, f.error.message, f.error.detail, f.error.headers, {
        job_id: f.record.job_id,
      });
    const title = `${f.record.kind === 'backup' ? 'Backup' : 'Restore'} ${f.record.status}`;
    const detail = f.record.error ?? f.record.status;
    const extra = { job_id: f.record.job_id };
    if (f.record.status === 'cancelled') throw BackupsErrors.jobCancelled(title, detail, extra);
    if (f.record.error_code === null) throw BackupsErrors.backupJobFailed(title, detail, extra);
    // The code the job recorded when it failed (catalogued where it was raised; `job_lost` by the reaper).
    throw new AthenaError(500, f.record.error_code, title, detail, {}, extra);
  }

  private withProgress(job: BackupJobRecord): BackupJobRecord & { bytes_per_second: number | null } {
    const local = this.live.get(job.job_id);
    const bytes = local ? Math.max(local.ctx.bytes, job.bytes_done) : job.bytes_done;
    const started = job.started_at ? new Date(job.started_at).getTime() : null;
    const end = job.completed_at ? new Date(job.completed_at).getTime() : Date.now();
    const secs = started ? (end - started) / 1000 : 0;
    return { ...job, bytes_done: bytes, bytes_per_second: secs > 0 ? Math.round(bytes / secs) : null };
  }

  private launch(job: BackupJobRecord, work: (ctx: JobContext) => Promise<Outcome>): Promise<Finished> {
    const ctx = new JobContext();
    const beat = setInterval(() => {
      this.jobs.progress(job.job_id, ctx.bytes).then(
        (cancel) => {
          if (cancel) ctx.abort('cancelled');
        },
        () => undefined,
      );
    }, HEARTBEAT_MS);
    beat.unref();
    const started = Date.now();
    const done = (async (): Promise<Finished> => {
      let error: unknown = null;
      let outcome: Outcome | null = null;
      let slot = false;
      try {
        await this.acquire(ctx);
        slot = true;
        this.metrics.running.inc({ kind: job.kind });
        outcome = await work(ctx);
      } catch (e) {
        error = ctx.reason ? new JobAborted(ctx.reason) : e;
      } finally {
        clearInterval(beat);
        if (slot) {
          this.metrics.running.dec({ kind: job.kind });
          this.release();
        }
      }
      const status = error ? (ctx.reason === 'cancelled' ? 'cancelled' : 'failed') : 'completed';
      if (error && !(error instanceof JobAborted))
        this.logger.warn(`${job.kind} job ${job.job_id} (${job.client_name}) failed: ${excerpt(error)}`);
      const code =
        error instanceof JobAborted
          ? error.reason === 'cancelled'
            ? 'job_cancelled'
            : 'instance_shutdown'
          : error instanceof AthenaError
            ? error.code
            : `${job.kind}_failed`;
      let record = await this.jobs
        .finish(job.job_id, {
          status,
          bytes_done: outcome?.bytes ?? ctx.bytes,
          size_bytes: outcome?.size ?? null,
          sha256: outcome?.sha256 ?? null,
          error_code: error ? code : null,
          error: error ? excerpt(error) : null,
        })
        .catch((e) => {
          this.logger.error(`could not record the end of ${job.kind} job ${job.job_id}: ${excerpt(e)}`);
          return null;
        });
      record ??= {
        ...job,
        status,
        bytes_done: outcome?.bytes ?? ctx.bytes,
        error_code: error ? code : null,
        error: error ? excerpt(error) : null,
      };
      this.metrics.jobs.inc({ kind: job.kind, outcome: status });
      this.metrics.bytes.inc({ kind: job.kind }, outcome?.bytes ?? ctx.bytes);
      this.metrics.duration.observe({ kind: job.kind, outcome: status }, (Date.now() - started) / 1000);
      if (status === 'completed' && job.kind === 'backup')
        this.metrics.lastSuccess.set({ client: job.client_name }, Date.now() / 1000);
      this.live.delete(job.job_id);
      return { record, error };
    })();
    this.live.set(job.job_id, { ctx, done });
    return done;
  }

  private acquire(ctx: JobContext): Promise<void> {
    const max = this.settings?.maxConcurrentJobs ?? 1;
    if (this.active < max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        this.active++;
        resolve();
      };
      this.waiters.push(grant);
      ctx.onAbort(() => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new JobAborted(ctx.reason!));
        }
      });
    });
  }

  private release(): void {
    this.active--;
    const next = this.waiters.shift();
    if (next) next();
  }

  private tools(): Promise<PgToolSet[]> {
    this.toolSets ??= discoverToolSets(candidateDirs(this.settings?.pgBinDir)).catch((e) => {
      this.toolSets = null;
      throw e;
    });
    return this.toolSets;
  }

  private async serverVersion(desc: ClientDescriptor): Promise<{ num: number; text: string }> {
    const r = await this.drivers
      .forClient(desc)
      .rawQuery(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`);
    const row = r.rows[0] as { num: string; text: string };
    return { num: Number(row.num), text: row.text };
  }

  // ---------------------------------------------------------------- backup

  private async runBackup(
    job: BackupJobRecord,
    desc: ClientDescriptor,
    storage: BackupStorage,
    ctx: JobContext,
  ): Promise<Outcome> {
    const server = await this.serverVersion(desc);
    const tools = pickToolSet(await this.tools(), server.num, 'pg_dump');
    ctx.throwIfAborted();
    if (!(await this.jobs.markRunning(job.job_id, server.text, tools.version))) throw new JobAborted('cancelled');
    const conn = connectionFor(desc.uri);
    const child = spawn(
      path.join(tools.dir, 'pg_dump'),
      ['--format=custom', '--no-password', `--dbname=${conn.dbname}`],
      {
        env: toolEnv(conn.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const stderr = stderrTail(child.stderr);
    const exited = new Promise<void>((resolve, reject) => {
      child.once('error', (e) => reject(BackupsErrors.pgDumpFailed('pg_dump could not start', e.message)));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else
          reject(
            BackupsErrors.pgDumpFailed(
              'pg_dump failed',
              `pg_dump ${tools.version} exited with ${code ?? signal}${stderr() ? `: ${stderr()}` : ''}`,
            ),
          );
      });
    });
    // pg_dump's own failure, once it ended by itself (not when we killed it after the upload failed).
    let dumpFailure: unknown = null;
    exited.catch((e) => {
      dumpFailure = e;
    });
    const gate = new HashingGate(exited);
    child.stdout!.pipe(gate);
    const progress = setInterval(() => {
      ctx.bytes = gate.bytes;
    }, 250);
    progress.unref();
    ctx.onAbort(() => {
      child.kill('SIGKILL');
      gate.destroy(new JobAborted(ctx.reason!));
    });
    const meta: BackupObjectMeta = {
      'client-name': desc.name,
      label: job.label ?? DEFAULT_LABEL,
      'server-version': server.text,
      'pg-dump-version': tools.version,
      'created-at': new Date().toISOString(),
      format: 'pg_dump-custom',
    };
    try {
      await storage.upload(job.key, gate, meta).done();
    } catch (e) {
      const toolError = dumpFailure;
      child.kill('SIGKILL');
      await this.discardUpload(storage, job);
      if (ctx.reason) throw new JobAborted(ctx.reason);
      // pg_dump's own failure explains more than the upload's echo of it; otherwise S3 failed.
      if (toolError) throw toolError;
      throw storageError(e, `uploading ${job.key}`);
    } finally {
      clearInterval(progress);
    }
    const size = gate.bytes;
    const sha256 = gate.digest();
    ctx.bytes = size;
    try {
      ctx.throwIfAborted();
      await storage.replaceMetadata(job.key, { ...meta, 'size-bytes': String(size), sha256 }, size);
    } catch (e) {
      // Never leave an object without its size and checksum (or one the admin cancelled).
      await this.discardUpload(storage, job);
      if (e instanceof JobAborted) throw e;
      throw storageError(e, `writing the metadata of ${job.key}`);
    }
    return { bytes: size, size, sha256 };
  }

  // ---------------------------------------------------------------- restore

  private async runRestore(
    job: BackupJobRecord,
    desc: ClientDescriptor,
    storage: BackupStorage,
    ctx: JobContext,
  ): Promise<Outcome> {
    const server = await this.serverVersion(desc);
    const head = await storage.head(job.key);
    if (!head) throw BackupsErrors.backupNotFound('Backup not found', `No backup object ${job.key}`);
    const dumpVersion = head.meta['pg-dump-version'];
    const archive = dumpVersion ? parseToolVersion(`(PostgreSQL) ${dumpVersion}`) : null;
    const tools = pickToolSet(await this.tools(), Math.max(server.num, archive?.num ?? 0), 'pg_restore');
    ctx.throwIfAborted();
    if (!(await this.jobs.markRunning(job.job_id, server.text, tools.version))) throw new JobAborted('cancelled');
    const abort = new AbortController();
    ctx.onAbort(() => abort.abort());
    const obj = await storage.get(job.key, abort.signal);
    const sizeMeta = head.meta['size-bytes'];
    const expectedSize = sizeMeta !== undefined && /^\d+$/.test(sizeMeta) ? Number(sizeMeta) : null;
    const verify = new VerifyingHoldback({ sha256: head.meta.sha256 ?? null, size: expectedSize });
    const conn = connectionFor(desc.uri);
    const child = spawn(
      path.join(tools.dir, 'pg_restore'),
      [
        '--single-transaction',
        '--exit-on-error',
        '--clean',
        '--if-exists',
        '--no-owner',
        '--no-password',
        `--dbname=${conn.dbname}`,
      ],
      { env: toolEnv(conn.env), stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const stderr = stderrTail(child.stderr);
    let streamError: Error | null = null;
    // Kill pg_restore before its input could end: it must never reach COMMIT on a partial or corrupt stream.
    const fail = (e: Error): void => {
      streamError ??= e;
      child.kill('SIGKILL');
    };
    ctx.onAbort(() => fail(new JobAborted(ctx.reason!)));
    verify.on('error', fail);
    obj.body.on('error', (e) => {
      fail(e);
      verify.destroy(e);
    });
    child.stdin!.on('error', () => undefined); // EPIPE when pg_restore stops early; its exit code tells why
    obj.body.pipe(verify).pipe(child.stdin!);
    const progress = setInterval(() => {
      ctx.bytes = verify.bytes;
    }, 250);
    progress.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('error', (e) => reject(BackupsErrors.pgRestoreFailed('pg_restore could not start', e.message)));
        child.once('close', (code, signal) => {
          if (streamError) reject(streamError);
          else if (code === 0) resolve();
          else
            reject(
              BackupsErrors.pgRestoreFailed(
                'pg_restore failed; the target database was left as it was',
                `pg_restore ${tools.version} exited with ${code ?? signal} (the single transaction was rolled back)${stderr() ? `: ${stderr()}` : ''}`,
              ),
            );
        });
      });
    } catch (e) {
      obj.body.destroy();
      if (e instanceof IntegrityError) {
        throw BackupsErrors.backupIntegrityFailed(
          'Backup object failed verification; the target database was left as it was',
          e.message,
        );
      }
      if (ctx.reason) throw new JobAborted(ctx.reason);
      if (!(e instanceof AthenaError)) throw storageError(e, `reading ${job.key}`);
      throw e;
    } finally {
      clearInterval(progress);
    }
    ctx.bytes = verify.bytes;
    await this.cache
      .invalidate(desc.name, null)
      .catch((e) => this.logger.warn(`cache invalidation after restore failed: ${excerpt(e)}`));
    return { bytes: verify.bytes, size: verify.bytes, sha256: head.meta.sha256 };
  }
}
