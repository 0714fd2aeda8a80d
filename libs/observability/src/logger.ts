import { mkdirSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { Logger as PinoLogger, StreamEntry } from 'pino';
import type { LoggingConfig } from '@athena/config';
import { redactQueryCredentials } from '@athena/common';

/** Query-string credentials in free text (`?api_key=…`); URLs go through redactQueryCredentials (decoded names). */
const SECRET_QUERY = /([?&](?:api_?key|apikey|key|token|access_token|password)=)[^&#]*/gi;
/** `scheme://user:password@host` → `scheme://user:***@host`. */
const URI_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@/?#\s]+@/gi;

/** Query-string credentials are redacted from every logged or stored URL, matched on the decoded parameter name. */
export function redactUrl(url: string): string {
  return redactQueryCredentials(url);
}

export function redactSecrets(text: string): string {
  return text.replace(URI_PASSWORD, '$1***@').replace(SECRET_QUERY, '$1[REDACTED]');
}

/** Pino levels ≥ 50 are error/fatal. Pino lines start with `{"level":NN`, so a prefix check is enough. */
function isErrorLine(chunk: string): boolean {
  return chunk.startsWith('{"level":5') || chunk.startsWith('{"level":6');
}

class LevelSplitStream extends Writable {
  constructor(
    private readonly target: NodeJS.WritableStream,
    private readonly wantErrors: boolean,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (isErrorLine(s) === this.wantErrors) this.target.write(s);
    cb();
  }
}

/**
 * The process logger: JSON lines on stdout; with `logging.file_sinks`, non-error events also go to
 * `success.log` and errors to `error.log` in `logging.directory`. Secrets are redacted by path.
 */
export function createRootLogger(cfg: LoggingConfig, destination?: NodeJS.WritableStream): PinoLogger {
  const options: pino.LoggerOptions = {
    level: cfg.level,
    base: { service: 'athena' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.apikey',
        'req.headers["x-api-key"]',
        'req.headers["x-athena-key"]',
        'req.headers["x-athena-admin-key"]',
        'req.headers["x-supabase-key"]',
        'req.headers["x-jdbc-url"]',
        'req.headers["x-pg-uri"]',
        'req.headers["x-athena-jdbc-url"]',
        'req.headers.cookie',
        '*.password',
        '*.pg_uri',
        '*.uri',
      ],
      censor: '[REDACTED]',
    },
  };
  const out = destination ?? pino.destination({ fd: 1, sync: false });
  if (!cfg.file_sinks) return pino(options, out);
  mkdirSync(cfg.directory, { recursive: true });
  const success = createWriteStream(join(cfg.directory, 'success.log'), { flags: 'a' });
  const error = createWriteStream(join(cfg.directory, 'error.log'), { flags: 'a' });
  const streams: StreamEntry[] = [
    { level: cfg.level === 'silent' ? 'fatal' : cfg.level, stream: out },
    { level: cfg.level === 'silent' ? 'fatal' : cfg.level, stream: new LevelSplitStream(success, false) },
    { level: 'error', stream: new LevelSplitStream(error, true) },
  ];
  return pino(options, pino.multistream(streams));
}
