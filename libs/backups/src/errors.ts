import { defineErrors } from '@athena/common';

/** The backups library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const BackupsErrors = defineErrors('backups', {
  jobCancelled: {
    code: 'job_cancelled',
    status: 409,
    meaning: 'The backup or restore job was cancelled (by an admin, or because its instance shut down)',
  },
  jobLost: {
    code: 'job_lost',
    status: 500,
    meaning:
      'The instance running the job stopped heartbeating; the job was marked failed (nothing half-written is left)',
  },
  backupJobFailed: {
    code: 'backup_job_failed',
    status: 500,
    meaning: 'The job failed without a more specific code; its `error` field holds the excerpt',
  },
  invalidBackupKey: {
    code: 'invalid_backup_key',
    status: 400,
    meaning: 'A backup key is outside the configured prefix, contains "..", or has control characters',
  },
  backupNotFound: { code: 'backup_not_found', status: 404, meaning: 'No backup object has this key' },
  backupStorageUnavailable: {
    code: 'backup_storage_unavailable',
    status: 503,
    meaning: 'The S3 bucket or endpoint cannot be reached or does not exist; retry after Retry-After',
    retryAfter: 30,
  },
  backupStorageRefused: {
    code: 'backup_storage_refused',
    status: 503,
    meaning: 'The S3 endpoint refused the configured credentials',
    retryAfter: 30,
  },
  invalidJobId: { code: 'invalid_job_id', status: 400, meaning: 'A backup job id is not a UUID' },
  clientReadOnly: { code: 'client_read_only', status: 409, meaning: 'A restore targets a read-only client' },
  backupJobNotFound: { code: 'backup_job_not_found', status: 404, meaning: 'No backup or restore job has this id' },
  jobNotCancellable: {
    code: 'job_not_cancellable',
    status: 409,
    meaning: 'The job already finished, so it cannot be cancelled',
  },
  backupStorageNotConfigured: {
    code: 'backup_storage_not_configured',
    status: 503,
    meaning: 'No backup bucket is configured (backup.bucket / ATHENA_BACKUP_S3_BUCKET)',
    retryAfter: 60,
  },
  clientNotFound: { code: 'client_not_found', status: 404, meaning: 'No client has this name' },
  clientUnconfigured: {
    code: 'backup_client_unconfigured',
    status: 409,
    meaning: 'The client to back up or restore into has no connection URI (e.g. its environment variable is unset)',
  },
  unsupportedByBackend: {
    code: 'unsupported_by_backend',
    status: 422,
    meaning: 'The client’s backend cannot serve this request (e.g. a CQL filter needing a full scan)',
  },
  backupJobInProgress: {
    code: 'backup_job_in_progress',
    status: 409,
    meaning: 'Another backup or restore job is running for this client',
  },
  pgDumpFailed: {
    code: 'pg_dump_failed',
    status: 500,
    meaning: 'pg_dump failed or could not start (its stderr excerpt is in the job)',
  },
  pgRestoreFailed: {
    code: 'pg_restore_failed',
    status: 500,
    meaning: 'pg_restore failed or could not start; the single-transaction restore left the target unchanged',
  },
  backupIntegrityFailed: {
    code: 'backup_integrity_failed',
    status: 500,
    meaning: 'The object failed size/SHA-256 verification; the target database was left as it was',
  },
  pgToolsNotFound: {
    code: 'pg_tools_not_found',
    status: 500,
    meaning: 'No pg_dump/pg_restore binary was found (system PostgreSQL or the embedded distribution)',
  },
  pgToolTooOld: {
    code: 'pg_tool_too_old',
    status: 500,
    meaning: 'The pg_dump/pg_restore found is older than the server; install a newer PostgreSQL client',
  },
});
