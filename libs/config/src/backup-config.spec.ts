import { configProblems, TEST_VALIDATE_BASE } from './testing';
import { validateConfig } from './validate';

describe('backup section', () => {
  it('reads ATHENA_BACKUP_S3_* when the file leaves the keys empty; the file wins otherwise', () => {
    const env = {
      ATHENA_BACKUP_S3_BUCKET: 'b',
      ATHENA_BACKUP_S3_PREFIX: 'p/q',
      ATHENA_BACKUP_S3_ENDPOINT: 'http://127.0.0.1:9000',
      ATHENA_BACKUP_S3_REGION: 'eu-west-1',
      ATHENA_BACKUP_S3_FORCE_PATH_STYLE: 'true',
    };
    expect(validateConfig({}, { ...TEST_VALIDATE_BASE, env }).backup).toEqual({
      bucket: 'b',
      prefix: 'p/q',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      force_path_style: true,
    });
    expect(
      validateConfig({ backup: { bucket: 'file', force_path_style: false } }, { ...TEST_VALIDATE_BASE, env }).backup,
    ).toMatchObject({ bucket: 'file', force_path_style: false });
  });

  it('parses the job keys and leaves unset ones undefined', () => {
    const c = validateConfig(
      {
        backup: {
          max_concurrent_jobs: '3',
          part_size_mb: 16,
          queue_size: 4,
          wait_ms: 0,
          pg_bin_dir: '/opt/pg/bin',
          access_key_id: 'a',
          secret_access_key: 's',
        },
      },
      TEST_VALIDATE_BASE,
    );
    expect(c.backup).toMatchObject({
      max_concurrent_jobs: 3,
      part_size_mb: 16,
      queue_size: 4,
      wait_ms: 0,
      pg_bin_dir: '/opt/pg/bin',
      access_key_id: 'a',
      secret_access_key: 's',
    });
    expect(validateConfig({}, TEST_VALIDATE_BASE).backup.max_concurrent_jobs).toBeUndefined();
  });

  it('names the key of a bad value', () => {
    expect(configProblems({ backup: { part_size_mb: 2, force_path_style: 'maybe', max_concurrent_jobs: 0 } })).toEqual([
      'backup.force_path_style: expected boolean (true or false), got "maybe"',
      'backup.max_concurrent_jobs: expected integer 1..64, got 0',
      'backup.part_size_mb: expected integer 5..512, got 2',
    ]);
    expect(configProblems({}, { env: { ATHENA_BACKUP_S3_FORCE_PATH_STYLE: 'sometimes' } })).toEqual([
      'backup.force_path_style: expected boolean (true or false), got "sometimes" (from env ATHENA_BACKUP_S3_FORCE_PATH_STYLE)',
    ]);
  });
});
