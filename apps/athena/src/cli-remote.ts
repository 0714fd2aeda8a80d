import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Exit codes of the data commands: 0 ok, 1 usage, 2 remote error. */
export const EXIT = { ok: 0, usage: 1, remote: 2 } as const;

export class UsageError extends Error {}

export interface SavedClients {
  default: string | null;
  clients: Record<string, string>;
}

export function readClients(file: string): SavedClients {
  if (!existsSync(file)) return { default: null, clients: {} };
  let raw: Partial<SavedClients>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedClients>;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${file} must hold {"default": …, "clients": {…}}`);
  return {
    default: typeof raw.default === 'string' ? raw.default : null,
    clients: raw.clients && typeof raw.clients === 'object' ? raw.clients : {},
  };
}

/** Atomic: write a temp file beside the target, then rename over it. */
export function writeClients(file: string, c: SavedClients): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db` (also `?password=`). */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/([?&](password|sslpassword)=)[^&]*/gi, '$1***');
}

/** JSON from a flag value or a file (`--body-json` / `--body-file`, `--payload-json` / `--payload-file`). */
export function jsonInput(inline: string | undefined, file: string | undefined, what: string): unknown {
  if ((inline === undefined) === (file === undefined))
    throw new UsageError(`give exactly one of --${what}-json or --${what}-file`);
  let text: string;
  try {
    text = inline ?? readFileSync(file!, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --${what}-file: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `--${what}-${inline !== undefined ? 'json' : 'file'} is not valid JSON: ${(e as Error).message}`,
    );
  }
}

/** POSTs JSON to a running gateway; returns status and parsed body (throws on a network failure). */
/** A gateway answer as the CLI reads it: the envelope's fields, anything else kept. */
export interface RemoteBody {
  code?: string;
  message?: string;
  error?: string;
  data?: unknown;
  [field: string]: unknown;
}

export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; body: RemoteBody }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return {
    status: res.status,
    body: (parsed !== null && typeof parsed === 'object' ? parsed : { message: String(parsed) }) as RemoteBody,
  };
}
