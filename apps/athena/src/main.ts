import { startServer } from './server';

/** `node dist/.../main.js` — start the HTTP server (same as `athena server`). */
startServer({ handleSignals: true }).catch((err: unknown) => {
  process.stderr.write(`athena: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
