/**
 * Rights strings and the permissive wildcard matcher of reference control contract §1.4. Pure.
 *
 * A right is dot-separated segments; a segment is `[A-Za-z0-9_-]{1,63}` or `*`. Matching a granted right
 * against a required one:
 *   `*`                 → everything
 *   `a.b`               → exactly `a.b`
 *   `users.*`           → any `users.<…>` (a trailing `.*` matches any non-empty suffix)
 *   `*.read`            → `<anything>.read` (a `*` segment matches any one segment)
 *   `gateway.<action>`  → also `<table>.<action>` for action read|write|delete (the gateway-wide form);
 *                         `gateway.*` therefore satisfies every gateway-style requirement.
 */
export const MAX_RIGHT_LENGTH = 128;
export const RIGHT_RE = /^(?:\*|[A-Za-z0-9_-]{1,63})(?:\.(?:\*|[A-Za-z0-9_-]{1,63}))*$/;
/** The rule in words, for error details and API docs. */
export const RIGHT_RULE =
  'dot-separated segments of letters, digits, "_" or "-", or "*" (e.g. users.read, users.*, *.read, gateway.query, *)';
export type TableAction = 'read' | 'write' | 'delete';
const TABLE_ACTIONS = new Set<string>(['read', 'write', 'delete']);
/** Table names that can appear in a derived right (same grammar as identifiers, no schema). */
const PLAIN_TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isValidRight(right: string): boolean {
  return right.length <= MAX_RIGHT_LENGTH && RIGHT_RE.test(right);
}

/** The right a table operation needs: `T.<action>`, or `gateway.<action>` when T is absent or schema-qualified. */
export function requiredTableRight(action: TableAction, table: unknown): string {
  if (typeof table !== 'string') return `gateway.${action}`;
  const t = table.trim();
  return PLAIN_TABLE_RE.test(t) ? `${t}.${action}` : `gateway.${action}`;
}

function segmentsMatch(granted: string[], required: string[]): boolean {
  const trailingStar = granted.length > 1 && granted[granted.length - 1] === '*';
  if (trailingStar) {
    const prefix = granted.length - 1;
    if (required.length <= prefix) return false;
    for (let i = 0; i < prefix; i++) if (granted[i] !== '*' && granted[i] !== required[i]) return false;
    return true;
  }
  if (granted.length !== required.length) return false;
  for (let i = 0; i < granted.length; i++) if (granted[i] !== '*' && granted[i] !== required[i]) return false;
  return true;
}

/** True when one granted right satisfies the required right. */
export function rightSatisfies(granted: string, required: string): boolean {
  if (granted === '*' || granted === required) return true;
  const g = granted.split('.');
  const r = required.split('.');
  if (segmentsMatch(g, r)) return true;
  // gateway-wide form: gateway.<action> (or gateway.*, *.<action>) covers <table>.<action>
  if (r.length === 2 && TABLE_ACTIONS.has(r[1]) && r[0] !== 'gateway') return segmentsMatch(g, ['gateway', r[1]]);
  return false;
}

/** A compiled grant set: exact names answered from a Set, wildcard grants checked only when needed. */
export class RightsMatcher {
  private readonly exact: Set<string>;
  private readonly patterns: string[];
  readonly all: boolean;
  private readonly memo = new Map<string, boolean>();

  constructor(readonly granted: readonly string[]) {
    this.exact = new Set(granted);
    this.all = this.exact.has('*');
    this.patterns = granted.filter((g) => g.includes('*') || g.startsWith('gateway.'));
  }

  allows(required: string): boolean {
    if (this.all || this.exact.has(required)) return true;
    const hit = this.memo.get(required);
    if (hit !== undefined) return hit;
    const ok = this.patterns.some((g) => rightSatisfies(g, required));
    if (this.memo.size < 1024) this.memo.set(required, ok);
    return ok;
  }
}
