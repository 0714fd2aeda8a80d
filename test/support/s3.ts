/**
 * A real S3-compatible HTTP server for the e2e suite: `moto` in server mode (PyPI `moto[server]`, installed by
 * .ci/run). Found as ATHENA_TEST_MOTO_BIN, `moto_server` on PATH, or `python3 -m moto.server`; started on a free
 * loopback port. Moto accepts any credentials and keeps objects in memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../libs/common/src/testing';

export interface StartedS3 {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

function onPath(bin: string): string | null {
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!d) continue;
    const p = path.join(d, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The command that starts moto's server, or null when moto is not installed. */
export function motoCommand(): { cmd: string; args: string[] } | null {
  const explicit = process.env.ATHENA_TEST_MOTO_BIN?.trim();
  if (explicit) return { cmd: explicit, args: [] };
  for (const venv of ['/var/tmp/athena-ci-moto/bin/moto_server']) {
    if (fs.existsSync(venv)) return { cmd: venv, args: [] };
  }
  const bin = onPath('moto_server');
  if (bin) return { cmd: bin, args: [] };
  for (const py of ['python3', 'python']) {
    const r = spawnSync(py, ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 20_000 });
    if (r.status === 0) return { cmd: py, args: ['-m', 'moto.server'] };
  }
  return null;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

export async function startMoto(log: (msg: string) => void): Promise<StartedS3> {
  const c = motoCommand();
  if (!c) throw new Error("moto is not installed (pip install 'moto[server]'; .ci/run does it)");
  const port = await freePort();
  const child = spawn(c.cmd, [...c.args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await answers(endpoint))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not come up on port ${port}${stderr ? `: ${stderr.trim()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`S3: started moto (${c.cmd}${c.args.length ? ` ${c.args.join(' ')}` : ''}) at ${endpoint}`);
  return {
    endpoint,
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** For global-setup: ATHENA_TEST_S3_ENDPOINT when it answers, else a fresh moto server. */
export async function resolveS3(
  log: (msg: string) => void,
  ci: boolean,
): Promise<StartedS3 | { endpoint: string; pid: null; stop: null } | null> {
  const fromEnv = process.env.ATHENA_TEST_S3_ENDPOINT?.trim();
  if (fromEnv) {
    if (await answers(fromEnv)) {
      log(`S3: using ATHENA_TEST_S3_ENDPOINT (${fromEnv})`);
      return { endpoint: fromEnv, pid: null, stop: null };
    }
    if (ci) throw new Error(`ATHENA_TEST_S3_ENDPOINT is set (${fromEnv}) but nothing answers there`);
    log(`S3: ATHENA_TEST_S3_ENDPOINT (${fromEnv}) does not answer; starting moto`);
  }
  try {
    return await startMoto(log);
  } catch (e) {
    if (ci) throw new Error(`S3 is missing under CI: ${(e as Error).message}`);
    log(`S3: ${(e as Error).message}`);
    return null;
  }
}
