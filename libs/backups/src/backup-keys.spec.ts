import { AthenaError } from '@athena/common';
import { buildBackupKey, clientOfKey, downloadName, validateBackupKey } from './backup-keys';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof AthenaError ? `${e.status} ${e.code}` : String(e);
  }
}

describe('backup keys', () => {
  it('builds <prefix>/<client>/<UTC timestamp>-<label>.dump', () => {
    const at = new Date(Date.UTC(2026, 11, 5, 23, 1, 2, 345));
    expect(buildBackupKey('backups', 'main', 'nightly', at)).toBe('backups/main/20261205T230102.345Z-nightly.dump');
    expect(buildBackupKey('/a/b/', 'main', 'x', at)).toBe('a/b/main/20261205T230102.345Z-x.dump');
    expect(buildBackupKey('', 'main', 'x', at)).toBe('main/20261205T230102.345Z-x.dump');
    expect(clientOfKey('a/b', 'a/b/main/x.dump')).toBe('main');
  });

  it('accepts keys under the prefix', () => {
    expect(validateBackupKey('backups', 'backups/main/20261205T230102.345Z-x.dump')).toBe(
      'backups/main/20261205T230102.345Z-x.dump',
    );
    expect(validateBackupKey('backups/', 'backups/main/a b.dump')).toBe('backups/main/a b.dump');
  });

  it.each([
    ['other/main/x.dump'],
    ['backupsX/main/x.dump'],
    ['backups/../etc/x.dump'],
    ['backups/main/../../x.dump'],
    ['backups/./main/x.dump'],
    ['backups//x.dump'],
    ['backups/main/x\u0000.dump'],
    ['backups/main/x\n.dump'],
    ['backups/main/x\u007f.dump'],
    ['backups/main\\x.dump'],
    ['backups/x.dump'],
    [''],
  ])('rejects %j with 400 invalid_backup_key', (key) => {
    expect(codeOf(() => validateBackupKey('backups', key))).toBe('400 invalid_backup_key');
  });

  it('rejects keys over 1024 characters', () => {
    expect(codeOf(() => validateBackupKey('backups', `backups/main/${'a'.repeat(1100)}`))).toBe(
      '400 invalid_backup_key',
    );
  });

  it('download names keep only safe characters', () => {
    expect(downloadName('backups/main/20261205T230102.345Z-x.dump')).toBe('20261205T230102.345Z-x.dump');
    expect(downloadName('backups/main/a"b;c.dump')).toBe('a_b_c.dump');
  });
});
