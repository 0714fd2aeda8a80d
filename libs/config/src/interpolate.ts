/**
 * `${VAR}` / `${VAR:-default}` environment interpolation.
 *
 * - `${VAR}`: the value of VAR; unset → empty string, and VAR is reported in `missing`.
 * - `${VAR:-default}`: the value of VAR when set and non-empty, else `default` (shell `:-` semantics; never missing).
 * - `$${` is an escape for a literal `${` (so `$${VAR}` yields the text `${VAR}`).
 * - VAR must match `[A-Za-z_][A-Za-z0-9_]*`; any other `${…` (bad name, no closing brace) is left as written and
 *   reported in `invalid`. A `$` not followed by `{` is never touched (passwords with `$` are safe).
 *
 * The loader applies this to string scalars of the parsed YAML tree (see `interpolateTree`), never to the raw
 * text, so a substituted value cannot change the document's structure.
 */
import type { EnvLike } from './paths';

export interface InterpolationResult {
  text: string;
  /** Variables referenced as `${VAR}` (no default) that are unset. Unique, in order of first use. */
  missing: string[];
  /** `${…` tokens that are not valid references, left untouched. */
  invalid: string[];
}

const TOKEN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

export function interpolateEnv(text: string, env: EnvLike): InterpolationResult {
  const missing: string[] = [];
  const invalid: string[] = [];
  const out = text.replace(TOKEN, (match: string, name: string | undefined, dflt: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      invalid.push(match);
      return match;
    }
    const value = env[name];
    if (dflt !== undefined) return value !== undefined && value !== '' ? value : dflt;
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return '';
    }
    return value;
  });
  return { text: out, missing, invalid };
}

export interface TreeInterpolationResult {
  value: unknown;
  /** One entry per unset variable use: where (`a.b[0]` path segments) and which variable. */
  missing: Array<{ path: Array<string | number>; name: string }>;
  invalid: Array<{ path: Array<string | number>; token: string }>;
}

/** Interpolates every string scalar of a parsed YAML/JSON tree (map keys are left alone). Returns a new tree. */
export function interpolateTree(node: unknown, env: EnvLike): TreeInterpolationResult {
  const missing: TreeInterpolationResult['missing'] = [];
  const invalid: TreeInterpolationResult['invalid'] = [];
  const walk = (v: unknown, path: Array<string | number>): unknown => {
    if (typeof v === 'string') {
      const r = interpolateEnv(v, env);
      for (const name of r.missing) missing.push({ path, name });
      for (const token of r.invalid) invalid.push({ path, token });
      return r.text;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object' && isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(node, []), missing, invalid };
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
