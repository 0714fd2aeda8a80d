/**
 * A loopback TCP proxy for outage tests. `stop()`/`resume()` close and reopen its port (connections refused);
 * `cutAfter(n)` counts the bytes sent from clients to the target and, when `n` have passed, cuts every live
 * connection and resets every new one until `restore()` — an outage triggered by progress, not by a timer.
 */
import { connect, createServer, Server, Socket } from 'node:net';

export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private down = false;
  private budget: number | null = null;
  private tripped: (() => void) | null = null;
  /** Bytes sent from clients to the target (all connections). */
  bytesUp = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  /** A proxy to `target` (a URL: its host and port, `defaultPort` when it has none) on a free loopback port. */
  static async start(target: URL, defaultPort = 5432): Promise<TcpProxy> {
    const p = new TcpProxy({ host: target.hostname, port: Number(target.port || defaultPort) }, 0);
    await p.resume();
    return p;
  }

  /** `http://127.0.0.1:<port>` of the proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Cuts all traffic once `bytes` more have gone from clients to the target; resolves when it did. */
  cutAfter(bytes: number): Promise<void> {
    this.budget = bytes;
    return new Promise((resolve) => {
      this.tripped = resolve;
    });
  }

  /** Lets traffic through again after a cut. */
  restore(): void {
    this.down = false;
    this.budget = null;
  }

  private cut(): void {
    this.down = true;
    this.budget = null;
    for (const s of this.sockets) s.destroy();
    const t = this.tripped;
    this.tripped = null;
    t?.();
  }

  async resume(): Promise<void> {
    const server = createServer((client) => {
      client.on('error', () => undefined);
      if (this.down) {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => {
        if (this.down) return;
        this.bytesUp += chunk.length;
        if (this.budget !== null) {
          this.budget -= chunk.length;
          if (this.budget <= 0) {
            this.cut();
            return;
          }
        }
        if (!upstream.write(chunk)) {
          client.pause();
          upstream.once('drain', () => client.resume());
        }
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  close(): Promise<void> {
    return this.stop();
  }
}
