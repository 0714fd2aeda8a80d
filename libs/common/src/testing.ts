/**
 * Helpers shared by the test suites (imported by relative path from specs and test/support; not part of the
 * library's public index).
 */
import { createServer, AddressInfo } from 'node:net';
import { AthenaError } from './athena-error';

/** Runs `fn`, asserts it throws an AthenaError, and returns that error for further assertions. */
export function caught(fn: () => unknown): AthenaError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof AthenaError)) throw new Error(`expected an AthenaError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected an AthenaError');
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
