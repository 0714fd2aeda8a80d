import * as path from 'node:path';

/** Environment as seen by the pure path helpers (a subset of `process.env`). */
export type EnvLike = Record<string, string | undefined>;

const CONFIG_FILE = 'config.yaml';

function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

function set(v: string | undefined): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/**
 * The home directory used for `$HOME`-based locations. On POSIX: `$HOME`, else `homedir`. On Windows only an
 * explicit `$HOME` (Git Bash, MSYS, Cygwin) counts, so that a plain Windows install writes its first config to
 * `%APPDATA%` rather than `C:\Users\x\.config`.
 */
function homeFor(env: EnvLike, platform: NodeJS.Platform, homedir: string): string | undefined {
  if (set(env.HOME)) return env.HOME;
  if (platform === 'win32') return undefined;
  return set(homedir) ? homedir : undefined;
}

/**
 * Config file locations in discovery order (the first existing one wins; when none exists the bundled default
 * is copied into the first writable one):
 *  1. `$XDG_CONFIG_HOME/athena/config.yaml` (only when set and absolute, per the XDG spec)
 *  2. `$HOME/.config/athena/config.yaml`
 *  3. `$HOME/.athena/config.yaml`
 *  4. `~/Library/Application Support/athena/config.yaml` (darwin only)
 *  5. `%APPDATA%/athena/config.yaml`, 6. `%LOCALAPPDATA%/athena/config.yaml`, 7. `%USERPROFILE%/.athena/config.yaml`
 *     (each only when its variable is set)
 *  8. `<cwd>/config.yaml`
 * Duplicates are removed (first occurrence kept). Pure: no file-system access.
 */
export function configCandidates(env: EnvLike, platform: NodeJS.Platform, homedir: string, cwd: string): string[] {
  const p = pathApi(platform);
  const out: string[] = [];
  const add = (...parts: string[]) => {
    const full = p.resolve(p.join(...parts));
    if (!out.includes(full)) out.push(full);
  };
  const home = homeFor(env, platform, homedir);

  if (set(env.XDG_CONFIG_HOME) && p.isAbsolute(env.XDG_CONFIG_HOME)) add(env.XDG_CONFIG_HOME, 'athena', CONFIG_FILE);
  if (home) {
    add(home, '.config', 'athena', CONFIG_FILE);
    add(home, '.athena', CONFIG_FILE);
  }
  if (platform === 'darwin' && home) add(home, 'Library', 'Application Support', 'athena', CONFIG_FILE);
  if (set(env.APPDATA)) add(env.APPDATA, 'athena', CONFIG_FILE);
  if (set(env.LOCALAPPDATA)) add(env.LOCALAPPDATA, 'athena', CONFIG_FILE);
  if (set(env.USERPROFILE)) add(env.USERPROFILE, '.athena', CONFIG_FILE);
  add(cwd, CONFIG_FILE);
  return out;
}

/**
 * Athena's per-user data directory (embedded PostgreSQL data, file logs):
 * `ATHENA_DATA_DIR` if set; Linux/other `$XDG_DATA_HOME/athena` or `~/.local/share/athena`;
 * macOS `~/Library/Application Support/athena`; Windows `%LOCALAPPDATA%/athena` (else `<home>\AppData\Local\athena`).
 * Pure: no file-system access.
 */
export function athenaDataDir(env: EnvLike, platform: NodeJS.Platform, homedir: string): string {
  const p = pathApi(platform);
  if (set(env.ATHENA_DATA_DIR)) return p.resolve(env.ATHENA_DATA_DIR);
  if (platform === 'win32') {
    if (set(env.LOCALAPPDATA)) return p.join(env.LOCALAPPDATA, 'athena');
    const base = set(env.USERPROFILE) ? env.USERPROFILE : homedir;
    return p.join(base, 'AppData', 'Local', 'athena');
  }
  const home = set(env.HOME) ? env.HOME : homedir;
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'athena');
  if (set(env.XDG_DATA_HOME) && p.isAbsolute(env.XDG_DATA_HOME)) return p.join(env.XDG_DATA_HOME, 'athena');
  return p.join(home, '.local', 'share', 'athena');
}
