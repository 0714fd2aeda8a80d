import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { AthenaConfig } from '@athena/config';
import { RunningServer, startServer } from '../../apps/athena/src/server';
import { testTempDir } from './services';

/** Collects the JSON log lines an app instance writes (for redaction and trace assertions). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(line);
    cb();
  }
  json(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  server: RunningServer;
  url: string;
  logs: LogCapture;
  configPath: string;
  close(): Promise<void>;
}

/**
 * Boots the real app on a real port (127.0.0.1, random) from a real config file written to a temp dir.
 * `config` is deep-merged into the file's YAML (snake_case keys, exactly as users write them).
 */
export async function bootApp(
  config: Record<string, unknown>,
  opts: { adjust?: (c: AthenaConfig) => void } = {},
): Promise<TestApp> {
  const dir = testTempDir('athena-e2e-');
  const configPath = join(dir, 'config.yaml');
  const base = {
    api: { host: '127.0.0.1', shutdown_grace_ms: 5000 },
    logging: { level: 'info', file_sinks: false, directory: join(dir, 'logs') },
    embedded: { enabled: false },
  };
  writeFileSync(configPath, stringify(deepMerge(base, config)));
  const logs = new LogCapture();
  const server = await startServer({
    configPath,
    logDestination: logs,
    adjustConfig: (c) => {
      c.api.port = 0; // any free port
      opts.adjust?.(c);
    },
  });
  return { server, url: server.url, logs, configPath, close: () => server.shutdown('test') };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** fetch() wrapper returning status, headers and parsed JSON (or text). */
export async function call(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
