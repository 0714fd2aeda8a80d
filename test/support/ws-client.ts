import WebSocket from 'ws';

/** A real `ws` client that queues every frame it receives, for e2e specs. */
export class WsClient {
  readonly frames: any[] = [];
  private waiters: Array<{ pred: (f: any) => boolean; resolve: (f: any) => void }> = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => {
      const f = JSON.parse(data.toString());
      const i = this.waiters.findIndex((w) => w.pred(f));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(f);
      else this.frames.push(f);
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })),
      );
      socket.once('error', reject);
    });
  }

  /** The next frame (already received or future) matching `pred`. */
  next(pred: (f: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
    const i = this.frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (f: any) => {
          clearTimeout(t);
          resolve(f);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends a request frame and waits for the response with its request_id. */
  request(frame: Record<string, unknown>): Promise<any> {
    this.socket.send(JSON.stringify(frame));
    return this.next((f) => f.type === 'response' && f.request_id === frame.request_id);
  }

  close(): Promise<unknown> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.socket.close();
    return this.closed;
  }
}
