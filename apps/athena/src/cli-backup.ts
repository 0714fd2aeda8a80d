/**
 * `athena backup create|list|restore|download`: the /admin/backups* routes of a running gateway. Results on
 * stdout (a line, or JSON with --json); progress on stderr (a redrawn bar on a terminal, plain lines otherwise).
 * Exit codes: 0 ok, 1 usage (commander's own errors, missing admin key, existing output file), 2 remote error
 * (gateway unreachable, an error answer, a job that failed or was cancelled).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Command, InvalidArgumentError } from 'commander';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:4052';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

interface CommonOpts {
  url: string;
  adminKey?: string;
  json?: boolean;
  pollMs: number;
}

/** The fields of a backup_jobs row the CLI shows. */
export interface JobView {
  job_id: number;
  kind: string;
  client_name: string;
  key: string;
  status: string;
  bytes_done: number;
  size_bytes: number | null;
  bytes_per_second?: number | null;
  error_code?: string | null;
  error?: string | null;
  duration_ms?: number | null;
}

// ---------------------------------------------------------------- formatting

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '?';
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `bytes[/total] rate [ETA]`, with a bar when the total is known. */
export function progressText(p: {
  label: string;
  bytes: number;
  total: number | null;
  rate: number | null;
  width?: number;
}): string {
  const rate = p.rate && p.rate > 0 ? `${formatBytes(p.rate)}/s` : '';
  if (p.total && p.total > 0) {
    const frac = Math.min(1, p.bytes / p.total);
    const w = p.width ?? 24;
    const filled = Math.round(frac * w);
    const eta = p.rate && p.rate > 0 ? `ETA ${formatDuration((p.total - p.bytes) / p.rate)}` : 'ETA ?';
    return `${p.label} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(p.bytes)} / ${formatBytes(p.total)} ${rate} ${eta}`.trimEnd();
  }
  return `${p.label} ${formatBytes(p.bytes)} ${rate}`.trimEnd();
}

/** Redraws one line on a TTY; elsewhere prints a line per status change and at most one every `plainEveryMs`. */
export class ProgressDisplay {
  private lastPlain = 0;
  private lastStatus = '';
  private drawn = false;
  private readonly started = Date.now();
  private lastBytes = 0;
  private lastAt = Date.now();
  private rate: number | null = null;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean },
    private readonly opts: { quiet?: boolean; plainEveryMs?: number } = {},
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** `rate`: the server's average when given, else measured here between updates. */
  update(p: { label: string; status: string; bytes: number; total: number | null; rate?: number | null }): void {
    const now = Date.now();
    if (p.rate !== undefined && p.rate !== null) this.rate = p.rate;
    else if (now > this.lastAt && p.bytes >= this.lastBytes) {
      const inst = ((p.bytes - this.lastBytes) * 1000) / (now - this.lastAt);
      this.rate = this.rate === null ? inst : this.rate * 0.7 + inst * 0.3;
    }
    this.lastBytes = p.bytes;
    this.lastAt = now;
    const text = progressText({ label: `${p.label} ${p.status}`, bytes: p.bytes, total: p.total, rate: this.rate });
    if (this.tty) {
      const cols = (this.out as { columns?: number }).columns || 100; // 0 on a terminal without a size
      this.out.write(`\r${text.slice(0, Math.max(20, cols - 1))}\x1b[K`);
      this.drawn = true;
      return;
    }
    if (this.opts.quiet) return;
    if (p.status !== this.lastStatus || now - this.lastPlain >= (this.opts.plainEveryMs ?? 2000)) {
      this.out.write(`${text}\n`);
      this.lastPlain = now;
      this.lastStatus = p.status;
    }
  }

  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }
}

// ---------------------------------------------------------------- HTTP

interface Answer {
  status: number;
  body: { status?: string; code?: string; message?: string; error?: string; data?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

function adminKey(o: CommonOpts): string {
  const k = o.adminKey ?? process.env.ATHENA_KEY_12;
  if (!k) throw new CliError('no admin key: pass --admin-key or set ATHENA_KEY_12', 1);
  return k;
}

function baseUrl(o: CommonOpts): string {
  return o.url.replace(/\/+$/, '');
}

async function send(o: CommonOpts, method: string, path: string, json?: unknown): Promise<Response> {
  try {
    return await fetch(`${baseUrl(o)}${path}`, {
      method,
      headers: {
        'x-athena-admin-key': adminKey(o),
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
  } catch (e) {
    if (e instanceof CliError) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach the gateway at ${baseUrl(o)}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      2,
    );
  }
}

function remoteError(status: number, body: Answer['body']): CliError {
  const detail = body.error && body.error !== body.message ? ` (${body.error})` : '';
  return new CliError(`HTTP ${status}${body.code ? ` ${body.code}` : ''}: ${body.message ?? 'error'}${detail}`, 2);
}

/** JSON request; a non-2xx answer becomes a CliError (exit 2) with the gateway's code and message. */
async function api(o: CommonOpts, method: string, path: string, json?: unknown): Promise<Answer> {
  const res = await send(o, method, path, json);
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = text ? (JSON.parse(text) as Answer['body']) : {};
  } catch {
    throw new CliError(`HTTP ${res.status}: not a JSON answer: ${text.slice(0, 200)}`, 2);
  }
  if (res.status < 200 || res.status >= 300) throw remoteError(res.status, body);
  return { status: res.status, body };
}

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function latestJob(o: CommonOpts, client: string, kind: string): Promise<JobView | null> {
  const r = await api(o, 'GET', `/admin/backups/jobs?limit=1&client_name=${enc(client)}&kind=${kind}`);
  return ((r.body.data?.jobs as JobView[] | undefined) ?? [])[0] ?? null;
}

/**
 * Runs a job-creating POST and shows the job's progress while it runs: during the synchronous wait it finds the
 * new job (the newest of that client and kind above the one seen before); after a 202 it polls the job until it
 * ends. Returns the final job, or throws exit 2 when it failed or was cancelled.
 */
async function followJob(
  o: CommonOpts,
  kind: 'backup' | 'restore',
  client: string,
  total: number | null,
  post: () => Promise<Answer>,
  progress: ProgressDisplay,
): Promise<{ job: JobView; data: Record<string, unknown> }> {
  const baseline = (await latestJob(o, client, kind))?.job_id ?? 0;
  let settled: { r?: Answer; e?: unknown } | null = null;
  const posting = post().then(
    (r) => (settled = { r }),
    (e) => (settled = { e }),
  );
  let jobId: number | null = null;
  const label = (j: JobView) => `${kind} job ${j.job_id} (${j.client_name})`;
  const show = (j: JobView) =>
    progress.update({
      label: label(j),
      status: j.status,
      bytes: j.bytes_done,
      total: j.size_bytes ?? total,
      rate: j.bytes_per_second ?? null,
    });
  while (!settled) {
    await Promise.race([sleep(o.pollMs), posting]);
    if (settled) break;
    try {
      const j: JobView | null =
        jobId === null
          ? await latestJob(o, client, kind)
          : ((await api(o, 'GET', `/admin/backups/jobs/${jobId}`)).body.data?.job as JobView);
      if (j && j.job_id > baseline) {
        jobId = j.job_id;
        show(j);
      }
    } catch {
      /* progress only: the POST's answer decides */
    }
  }
  const s = settled as { r?: Answer; e?: unknown };
  if (s.e) {
    progress.done();
    throw s.e;
  }
  const r = s.r!;
  if (r.status === 200) {
    const job = r.body.data!.job as JobView;
    show(job);
    progress.done();
    return { job, data: r.body.data! };
  }
  jobId = r.body.data!.job_id as number;
  for (;;) {
    const job = (await api(o, 'GET', `/admin/backups/jobs/${jobId}`)).body.data!.job as JobView;
    show(job);
    if (TERMINAL.has(job.status)) {
      progress.done();
      if (job.status !== 'completed')
        throw new CliError(
          `${kind} job ${job.job_id} ${job.status}: ${job.error_code ?? ''}${job.error ? ` ${job.error}` : ''}`.trim(),
          2,
        );
      return { job, data: { key: job.key, client_name: job.client_name, job } };
    }
    await sleep(o.pollMs);
  }
}

function print(o: CommonOpts, value: unknown, line: string): void {
  process.stdout.write(o.json ? `${JSON.stringify(value, null, 2)}\n` : `${line}\n`);
}

function progressFor(o: CommonOpts): ProgressDisplay {
  return new ProgressDisplay(process.stderr, { quiet: o.json === true });
}

// ---------------------------------------------------------------- commands

async function create(client: string, o: CommonOpts & { label?: string; wait: boolean }): Promise<void> {
  const body = { client_name: client, ...(o.label ? { label: o.label } : {}) };
  if (!o.wait) {
    const r = await api(o, 'POST', '/admin/backups', body);
    const d = r.body.data!;
    print(o, d, r.status === 200 ? `completed ${d.key}` : `accepted job ${d.job_id as number} → ${d.key as string}`);
    return;
  }
  const progress = progressFor(o);
  const { job, data } = await followJob(
    o,
    'backup',
    client,
    null,
    () => api(o, 'POST', '/admin/backups', body),
    progress,
  );
  print(
    o,
    data,
    `backup of ${job.client_name} completed: ${job.key} (${formatBytes(job.size_bytes ?? job.bytes_done)}, job ${job.job_id}, ${formatDuration((job.duration_ms ?? 0) / 1000)})`,
  );
}

async function list(o: CommonOpts & { client?: string }): Promise<void> {
  const r = await api(o, 'GET', `/admin/backups${o.client ? `?client_name=${enc(o.client)}` : ''}`);
  const backups = (r.body.data?.backups ?? []) as Array<{
    key: string;
    client_name: string | null;
    label: string | null;
    size_bytes: number;
    last_modified: string | null;
  }>;
  if (o.json) {
    print(o, backups, '');
    return;
  }
  if (backups.length === 0) {
    process.stdout.write('no backups\n');
    return;
  }
  const rows = [
    ['KEY', 'CLIENT', 'LABEL', 'SIZE', 'LAST MODIFIED'],
    ...backups.map((b) => [
      b.key,
      b.client_name ?? '-',
      b.label ?? '-',
      formatBytes(b.size_bytes),
      b.last_modified ?? '-',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows)
    process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`);
}

/** The object's size (for the ETA), from the listing of the key's client folder; null when unknown. */
async function objectSize(o: CommonOpts, key: string): Promise<number | null> {
  const parts = key.split('/');
  if (parts.length < 2) return null;
  try {
    const r = await api(o, 'GET', `/admin/backups?client_name=${enc(parts[parts.length - 2])}`);
    const hit = ((r.body.data?.backups ?? []) as Array<{ key: string; size_bytes: number }>).find((b) => b.key === key);
    return hit ? hit.size_bytes : null;
  } catch {
    return null;
  }
}

async function restore(key: string, o: CommonOpts & { client: string; wait: boolean }): Promise<void> {
  const path = `/admin/backups/${enc(key)}/restore`;
  if (!o.wait) {
    const r = await api(o, 'POST', path, { client_name: o.client });
    const d = r.body.data!;
    print(o, d, r.status === 200 ? `restored ${key} into ${o.client}` : `accepted job ${d.job_id as number}`);
    return;
  }
  const total = await objectSize(o, key);
  const { job, data } = await followJob(
    o,
    'restore',
    o.client,
    total,
    () => api(o, 'POST', path, { client_name: o.client }),
    progressFor(o),
  );
  print(
    o,
    data,
    `restored ${key} into ${job.client_name} (${formatBytes(job.bytes_done)}, job ${job.job_id}, ${formatDuration((job.duration_ms ?? 0) / 1000)})`,
  );
}

function fileNameOf(disposition: string | null, key: string): string {
  const m = disposition ? /filename="([^"]+)"/.exec(disposition) : null;
  return basename(m?.[1] ?? key.split('/').pop() ?? 'backup.dump');
}

/** Streams to `<output>.<random>.part` next to the target, then renames: the target is whole or absent. */
async function download(key: string, o: CommonOpts & { output?: string; force?: boolean }): Promise<void> {
  adminKey(o);
  if (o.output && existsSync(o.output) && !o.force)
    throw new CliError(`${o.output} exists (use --force to replace it)`, 1);
  const res = await send(o, 'GET', `/admin/backups/${enc(key)}/download`);
  if (res.status !== 200) {
    const text = await res.text();
    let body: Answer['body'] = {};
    try {
      body = JSON.parse(text) as Answer['body'];
    } catch {
      body = { message: text.slice(0, 200) };
    }
    throw remoteError(res.status, body);
  }
  const target = resolve(o.output ?? fileNameOf(res.headers.get('content-disposition'), key));
  if (!o.output && existsSync(target) && !o.force) {
    await res.body?.cancel();
    throw new CliError(`${target} exists (use --force to replace it, or -o)`, 1);
  }
  const total = Number(res.headers.get('content-length')) || null;
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.part`);
  const progress = progressFor(o);
  let bytes = 0;
  let last = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - last >= 250) {
        last = now;
        progress.update({ label: 'download', status: 'running', bytes, total });
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(temp, { flags: 'wx' }),
    );
    if (total !== null && bytes !== total)
      throw new CliError(`download of ${key} ended after ${bytes} of ${total} bytes`, 2);
    await rename(temp, target);
  } catch (e) {
    progress.done();
    await unlink(temp).catch(() => undefined);
    if (e instanceof CliError) throw e;
    throw new CliError(`download of ${key} failed: ${(e as Error).message}`, 2);
  }
  progress.update({ label: 'download', status: 'completed', bytes, total });
  progress.done();
  print(
    o,
    { key, file: target, size_bytes: bytes },
    `downloaded ${key} → ${target} (${formatBytes(bytes)}, ${formatDuration(progress.elapsed())})`,
  );
}

// ---------------------------------------------------------------- registration

function pollMs(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 50 || n > 60_000) throw new InvalidArgumentError('expected an integer 50..60000');
  return n;
}

function withCommon(c: Command): Command {
  return c
    .option('--url <url>', 'gateway base URL', DEFAULT_GATEWAY_URL)
    .option('--admin-key <key>', 'admin key (default: env ATHENA_KEY_12)')
    .option('--json', 'print JSON')
    .option('--poll-ms <ms>', 'job polling interval', pollMs, 500);
}

function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const err = e instanceof CliError ? e : new CliError((e as Error)?.message ?? String(e), 2);
      process.stderr.write(`athena: ${err.message}\n`);
      process.exitCode = err.exitCode;
    }
  };
}

/** `athena backup …` (one line in cli.ts registers it). */
export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('S3 backups of PostgreSQL clients on a running gateway (/admin/backups*)');
  withCommon(
    backup.command('create <client>').description('back up a client (waits for the job and shows its progress)'),
  )
    .option('--label <label>', 'object label (default: manual)')
    .option('--no-wait', 'print the job and return (no progress)')
    .action(run((client: string, o: CommonOpts & { label?: string; wait: boolean }) => create(client, o)));
  withCommon(backup.command('list').description('list backup objects (newest first)'))
    .option('--client <name>', 'only this client')
    .action(run((o: CommonOpts & { client?: string }) => list(o)));
  withCommon(backup.command('restore <key>').description('restore a backup into a client (all or nothing)'))
    .requiredOption('--client <name>', 'target client (the source or another one)')
    .option('--no-wait', 'print the job and return (no progress)')
    .action(run((key: string, o: CommonOpts & { client: string; wait: boolean }) => restore(key, o)));
  withCommon(
    backup.command('download <key>').description('download a backup object to a file (written whole or not at all)'),
  )
    .option('-o, --output <file>', 'file to write (default: the object name in the current directory)')
    .option('--force', 'replace an existing file')
    .action(run((key: string, o: CommonOpts & { output?: string; force?: boolean }) => download(key, o)));
}
