import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, testTempDir } from './services';

export const CLI = join(resolve(__dirname, '../..'), 'dist/apps/athena/apps/athena/src/cli.js');

/** Polls `probe` until `done(value)` holds; throws with the last value after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Runs the built CLI (`athena <args…>`) with a config file written from `config`. */
export function spawnCli(args: string[], config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Child {
  const dir = testTempDir('athena-proc-');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    stringify({
      embedded: { enabled: false },
      logging: { level: 'info', file_sinks: false, directory: join(dir, 'logs') },
      ...config,
    }),
  );
  const proc = spawn(process.execPath, [CLI, ...args, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  return { proc, output: () => out, exited };
}

/** Stops a child (SIGTERM) and waits for it. */
export async function stopChild(c: Child | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  await c.exited;
}

/** A second gateway process (`athena server`) on a free loopback port, ready to serve. */
export interface GatewayProcess extends Child {
  url: string;
}

/**
 * Starts the built `athena server` with `config` (plus a free port on 127.0.0.1, warn-level logs) and waits for
 * `/ready`; fails with the process output if it exits or is not ready within `timeoutMs`.
 */
export async function startGatewayProcess(
  config: Record<string, any>,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30_000,
): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawnCli(
    ['server'],
    { logging: { level: 'warn' }, ...config, api: { ...config.api, host: '127.0.0.1', port } },
    env,
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`gateway process exited:\n${child.output()}`);
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { ...child, url };
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`gateway process not ready in ${timeoutMs} ms:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
