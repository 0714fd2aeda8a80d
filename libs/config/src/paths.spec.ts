import { athenaDataDir, configCandidates } from './paths';

describe('configCandidates', () => {
  it('linux: XDG, ~/.config, ~/.athena, then cwd', () => {
    expect(configCandidates({ HOME: '/home/u', XDG_CONFIG_HOME: '/xdg' }, 'linux', '/ignored', '/srv/app')).toEqual([
      '/xdg/athena/config.yaml',
      '/home/u/.config/athena/config.yaml',
      '/home/u/.athena/config.yaml',
      '/srv/app/config.yaml',
    ]);
  });

  it('linux without XDG_CONFIG_HOME or HOME falls back to homedir; relative XDG is ignored', () => {
    expect(configCandidates({ XDG_CONFIG_HOME: 'rel' }, 'linux', '/home/h', '/w')).toEqual([
      '/home/h/.config/athena/config.yaml',
      '/home/h/.athena/config.yaml',
      '/w/config.yaml',
    ]);
  });

  it('darwin adds ~/Library/Application Support after the home locations', () => {
    expect(configCandidates({ HOME: '/Users/u' }, 'darwin', '/Users/u', '/w')).toEqual([
      '/Users/u/.config/athena/config.yaml',
      '/Users/u/.athena/config.yaml',
      '/Users/u/Library/Application Support/athena/config.yaml',
      '/w/config.yaml',
    ]);
  });

  it('win32: APPDATA, LOCALAPPDATA, USERPROFILE\\.athena, then cwd (no $HOME)', () => {
    const env = {
      APPDATA: 'C:\\Users\\u\\AppData\\Roaming',
      LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local',
      USERPROFILE: 'C:\\Users\\u',
    };
    expect(configCandidates(env, 'win32', 'C:\\Users\\u', 'D:\\app')).toEqual([
      'C:\\Users\\u\\AppData\\Roaming\\athena\\config.yaml',
      'C:\\Users\\u\\AppData\\Local\\athena\\config.yaml',
      'C:\\Users\\u\\.athena\\config.yaml',
      'D:\\app\\config.yaml',
    ]);
  });

  it('win32 with HOME (Git Bash) puts the home locations first and de-duplicates', () => {
    const env = { HOME: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming', USERPROFILE: 'C:\\Users\\u' };
    expect(configCandidates(env, 'win32', 'C:\\Users\\u', 'D:\\app')).toEqual([
      'C:\\Users\\u\\.config\\athena\\config.yaml',
      'C:\\Users\\u\\.athena\\config.yaml',
      'C:\\Users\\u\\AppData\\Roaming\\athena\\config.yaml',
      'D:\\app\\config.yaml',
    ]);
  });

  it('skips Windows entries whose variables are unset', () => {
    expect(configCandidates({}, 'win32', 'C:\\Users\\u', 'D:\\app')).toEqual(['D:\\app\\config.yaml']);
  });
});

describe('athenaDataDir', () => {
  it('ATHENA_DATA_DIR wins everywhere', () => {
    expect(athenaDataDir({ ATHENA_DATA_DIR: '/data/a', XDG_DATA_HOME: '/x' }, 'linux', '/home/u')).toBe('/data/a');
  });
  it('linux: XDG_DATA_HOME/athena, else ~/.local/share/athena', () => {
    expect(athenaDataDir({ XDG_DATA_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/athena');
    expect(athenaDataDir({ HOME: '/home/v' }, 'linux', '/home/u')).toBe('/home/v/.local/share/athena');
    expect(athenaDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/athena');
  });
  it('darwin: ~/Library/Application Support/athena', () => {
    expect(athenaDataDir({ HOME: '/Users/u' }, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/athena',
    );
  });
  it('win32: %LOCALAPPDATA%\\athena', () => {
    expect(athenaDataDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\Users\\u')).toBe('C:\\L\\athena');
    expect(athenaDataDir({}, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Local\\athena');
  });
});
