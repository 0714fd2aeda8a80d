/**
 * Helpers shared by the config specs (imported by relative path; not part of the library's public index).
 */
import { ConfigError } from './config-error';
import { validateConfig, type ValidateOptions } from './validate';

/** A platform/home/env that makes validation deterministic. */
export const TEST_VALIDATE_BASE: ValidateOptions = { env: {}, platform: 'linux', homedir: '/home/u' };

/** Validates `raw`, asserts it is refused with a ConfigError, and returns the problems it lists. */
export function configProblems(raw: unknown, opts: ValidateOptions = {}): string[] {
  try {
    validateConfig(raw, { ...TEST_VALIDATE_BASE, ...opts });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(e)}`);
    return e.problems;
  }
  throw new Error('expected a ConfigError');
}
