import { AthenaError } from '@athena/common';
import { connectionFor, majorOf, parseToolVersion, pickToolSet, toolEnv } from './pg-tools';

describe('pg tools', () => {
  it('parses tool versions', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n')).toEqual({
      num: 150014,
      text: '15.14',
    });
    expect(parseToolVersion('pg_restore (PostgreSQL) 17.0')).toEqual({ num: 170000, text: '17.0' });
    expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({ num: 90624, text: '9.6.24' });
    expect(parseToolVersion('something else')).toBeNull();
    expect(majorOf(150014)).toBe(15);
    expect(majorOf(90624)).toBe(9.06);
  });

  it('picks the newest tool set at least as new as the server, or names both versions', () => {
    const sets = [
      { dir: '/a', versionNum: 150014, version: '15.14' },
      { dir: '/b', versionNum: 160002, version: '16.2' },
    ];
    expect(pickToolSet(sets, 150010, 'pg_dump').dir).toBe('/b');
    expect(pickToolSet(sets, 160009, 'pg_dump').dir).toBe('/b'); // same major, older minor: fine
    try {
      pickToolSet(sets, 170001, 'pg_dump');
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(AthenaError);
      expect((e as AthenaError).code).toBe('pg_tool_too_old');
      expect((e as AthenaError).detail).toContain('16.2');
      expect((e as AthenaError).detail).toContain('17.1');
    }
    expect(() => pickToolSet([], 150000, 'pg_restore')).toThrow(/pg_restore/);
  });

  it('keeps the password off the command line', () => {
    const c = connectionFor('postgres://u:p%40ss@127.0.0.1:5432/db?sslmode=disable');
    expect(c.dbname).toBe('postgres://u@127.0.0.1:5432/db?sslmode=disable');
    expect(c.env).toEqual({ PGPASSWORD: 'p@ss' });
    expect(connectionFor('postgres://u@h/db').env).toEqual({});
    const env = toolEnv(c.env, { PATH: '/bin', PGPASSWORD: 'inherited', ATHENA_KEY_12: 'secret', PGHOST: 'x' });
    expect(env).toEqual({ PATH: '/bin', PGAPPNAME: 'athena-backup', PGCONNECT_TIMEOUT: '10', PGPASSWORD: 'p@ss' });
  });
});
