import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

/**
 * Passes bytes through while counting them and hashing them (SHA-256). The stream ends only once `gate`
 * resolves (e.g. pg_dump exited 0); if it rejects, the stream errors instead — so an upload reading it never
 * completes on a dump that did not finish.
 */
export class HashingGate extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digestHex: string | null = null;

  constructor(private readonly gate: Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.gate.then(
      () => cb(),
      (e: Error) => cb(e),
    );
  }

  /** Hex SHA-256 of everything that passed (call once, after the end). */
  digest(): string {
    this.digestHex ??= this.hash.digest('hex');
    return this.digestHex;
  }
}

/**
 * Passes bytes through, holding back the most recent chunk until the end; at the end, checks the byte count
 * and SHA-256 against the expected values (when known) and only then releases the last chunk. A reader that
 * needs the whole input to finish (pg_restore, before it commits) therefore never sees the end of a corrupt or
 * truncated object.
 */
export class VerifyingHoldback extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private held: Buffer | null = null;

  constructor(private readonly expected: { sha256: string | null; size: number | null }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    const prev = this.held;
    this.held = chunk;
    cb(null, prev ?? undefined);
  }

  override _flush(cb: TransformCallback): void {
    const sha = this.hash.digest('hex');
    if (this.expected.size !== null && this.bytes !== this.expected.size) {
      cb(new IntegrityError(`read ${this.bytes} bytes but the object's metadata says ${this.expected.size}`));
      return;
    }
    if (this.expected.sha256 !== null && sha !== this.expected.sha256) {
      cb(new IntegrityError(`SHA-256 of the object is ${sha} but its metadata says ${this.expected.sha256}`));
      return;
    }
    cb(null, this.held ?? undefined);
  }
}

export class IntegrityError extends Error {
  override name = 'IntegrityError';
}
