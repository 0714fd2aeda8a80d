import { TEST_VALIDATE_BASE } from '../../config/src/testing';
import { validateConfig } from '@athena/config';
import { resolveBackupSettings } from './backup-settings';

const cfg = (backup: Record<string, unknown>, api: Record<string, unknown> = {}) =>
  validateConfig({ backup, api }, TEST_VALIDATE_BASE);

describe('backup settings', () => {
  it('no bucket: off, naming the setting', () => {
    expect(resolveBackupSettings(cfg({}), {})).toEqual({
      settings: null,
      missing: 'backup.bucket (env ATHENA_BACKUP_S3_BUCKET) is not set',
    });
  });

  it('defaults, and wait_ms stays under the request timeout', () => {
    const r = resolveBackupSettings(cfg({ bucket: 'b', prefix: '/x/' }, { request_timeout_ms: 10000 }), {});
    expect(r.settings).toEqual({
      bucket: 'b',
      prefix: 'x',
      region: 'us-east-1',
      endpoint: null,
      forcePathStyle: false,
      credentials: null,
      maxConcurrentJobs: 2,
      partSizeBytes: 5 * 1024 * 1024,
      queueSize: 2,
      waitMs: 9000,
      pgBinDir: null,
    });
  });

  it('credentials: the section pair, else the AWS variables; half a pair is refused', () => {
    const env = { AWS_ACCESS_KEY_ID: 'envk', AWS_SECRET_ACCESS_KEY: 'envs' };
    expect(resolveBackupSettings(cfg({ bucket: 'b' }), env).settings?.credentials).toEqual({
      accessKeyId: 'envk',
      secretAccessKey: 'envs',
    });
    expect(
      resolveBackupSettings(cfg({ bucket: 'b', access_key_id: 'k', secret_access_key: 's' }), env).settings
        ?.credentials,
    ).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
    expect(resolveBackupSettings(cfg({ bucket: 'b', access_key_id: 'k' }), env).missing).toMatch(
      /must be set together/,
    );
  });
});
