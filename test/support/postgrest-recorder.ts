/**
 * A local HTTP server that stands in for PostgREST (Supabase's REST layer) in the contract tests: the real
 * supabase-js talks to it, it records every request exactly (method, path, query string, headers, body), and it
 * answers in PostgREST's documented formats — JSON rows, `Content-Range: <from>-<to>/*`, 201 for inserts, the
 * `Prefer: return=representation` contract, and error bodies `{code, message, details, hint}`.
 * It does not evaluate filters: each test says what to answer (`reply` / `replyOnce`) and asserts the request.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/rest/v1/items`. */
  path: string;
  /** Raw query string without `?`, exactly as sent (percent-encoding kept). */
  query: string;
  /** Decoded query parameters in order, e.g. [['select','id,name'], ['id','eq.1']]. */
  params: Array<[string, string]>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
}

export interface Reply {
  status?: number;
  /** JSON body (an array of rows, or a PostgREST error object). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket without answering (a network failure). */
  destroy?: boolean;
  /** Answer after this many ms. */
  delayMs?: number;
}

export type Handler = (req: RecordedRequest) => Reply;

/** PostgREST's error body. */
export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
): Reply {
  return { status, body: { code, message, details, hint } };
}

/**
 * Default PostgREST-like behaviour: GET → `rows` with Content-Range; POST/PATCH/DELETE with
 * `Prefer: return=representation` → the request rows (POST, 201) or `rows` (PATCH/DELETE, 200); otherwise 201/204.
 */
export function postgrestDefault(rows: unknown[] = []): Handler {
  return (req) => {
    const prefer = String(req.headers.prefer ?? '');
    const representation = prefer.includes('return=representation');
    if (req.method === 'GET' || req.method === 'HEAD') {
      return { status: 200, body: rows, headers: { 'content-range': rows.length ? `0-${rows.length - 1}/*` : '*/*' } };
    }
    if (req.method === 'POST') {
      const out = Array.isArray(req.body) ? req.body : [req.body];
      return representation ? { status: 201, body: out, headers: { 'content-range': `*/*` } } : { status: 201 };
    }
    return representation ? { status: 200, body: rows } : { status: 204 };
  };
}

export class PostgrestRecorder {
  readonly requests: RecordedRequest[] = [];
  private handler: Handler = postgrestDefault();
  private readonly once: Handler[] = [];
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<PostgrestRecorder> {
    let self: PostgrestRecorder | null = null;
    const server = http.createServer((req, res) => self!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new PostgrestRecorder(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Answer every following request with `h`. */
  reply(h: Handler | Reply): this {
    this.handler = typeof h === 'function' ? h : () => h;
    return this;
  }

  /** Answer only the next request with `h` (queued before the standing handler). */
  replyOnce(h: Handler | Reply): this {
    this.once.push(typeof h === 'function' ? h : () => h);
    return this;
  }

  /** Forget recorded requests and queued replies; back to the default handler with `rows`. */
  reset(rows: unknown[] = []): this {
    this.requests.length = 0;
    this.once.length = 0;
    this.handler = postgrestDefault(rows);
    return this;
  }

  /** The last recorded request (throws when none). */
  last(): RecordedRequest {
    const r = this.requests[this.requests.length - 1];
    if (!r) throw new Error('the PostgREST recorder received no request');
    return r;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const full = req.url ?? '/';
      const q = full.indexOf('?');
      const query = q === -1 ? '' : full.slice(q + 1);
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: q === -1 ? full : full.slice(0, q),
        query,
        params: [...new URLSearchParams(query)],
        headers: req.headers,
        body: raw === '' ? undefined : JSON.parse(raw),
      };
      this.requests.push(rec);
      const h = this.once.shift() ?? this.handler;
      const r = h(rec);
      const send = () => {
        if (r.destroy) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = {
          ...(r.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          ...r.headers,
        };
        res.writeHead(r.status ?? 200, headers);
        res.end(r.body !== undefined ? JSON.stringify(r.body) : undefined);
      };
      if (r.delayMs) setTimeout(send, r.delayMs).unref();
      else send();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
