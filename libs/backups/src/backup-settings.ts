import type { AthenaConfig } from '@athena/config';
import { normalizePrefix } from './backup-keys';

/** `backup:` with its defaults applied and the credentials resolved. */
export interface BackupSettings {
  bucket: string;
  prefix: string;
  region: string;
  endpoint: string | null;
  forcePathStyle: boolean;
  /** null → the AWS SDK's default provider chain. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
  maxConcurrentJobs: number;
  partSizeBytes: number;
  queueSize: number;
  waitMs: number;
  pgBinDir: string | null;
}

export const BACKUP_DEFAULTS = {
  region: 'us-east-1',
  maxConcurrentJobs: 2,
  partSizeMb: 5,
  queueSize: 2,
  waitMs: 25_000,
} as const;

/**
 * Settings, or the reason backups are off (named in the 503 `backup_storage_not_configured`). Credentials: the
 * section's pair, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the SDK chain.
 */
export function resolveBackupSettings(
  config: AthenaConfig,
  env: NodeJS.ProcessEnv = process.env,
): { settings: BackupSettings | null; missing: string | null } {
  const b = config.backup;
  if (!b.bucket) return { settings: null, missing: 'backup.bucket (env ATHENA_BACKUP_S3_BUCKET) is not set' };
  let credentials: BackupSettings['credentials'] = null;
  if (b.access_key_id || b.secret_access_key) {
    if (!b.access_key_id || !b.secret_access_key) {
      return { settings: null, missing: 'backup.access_key_id and backup.secret_access_key must be set together' };
    }
    credentials = { accessKeyId: b.access_key_id, secretAccessKey: b.secret_access_key };
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return {
    missing: null,
    settings: {
      bucket: b.bucket,
      prefix: normalizePrefix(b.prefix),
      region: b.region ?? BACKUP_DEFAULTS.region,
      endpoint: b.endpoint ?? null,
      forcePathStyle: b.force_path_style ?? false,
      credentials,
      maxConcurrentJobs: b.max_concurrent_jobs ?? BACKUP_DEFAULTS.maxConcurrentJobs,
      partSizeBytes: (b.part_size_mb ?? BACKUP_DEFAULTS.partSizeMb) * 1024 * 1024,
      queueSize: b.queue_size ?? BACKUP_DEFAULTS.queueSize,
      // Never past the request timeout: answer 202 before Fastify would cut the request.
      waitMs: Math.min(b.wait_ms ?? BACKUP_DEFAULTS.waitMs, Math.max(0, config.api.request_timeout_ms - 1000)),
      pgBinDir: b.pg_bin_dir ?? null,
    },
  };
}
