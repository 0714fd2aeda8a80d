import { ANONYMOUS, AuthContext, Principal } from '@athena/common';
import type { ParsedApiKey } from './api-key-format';
import type { KeyCandidate } from './key-extraction';
import type { CachedKey } from './key-cache';

export const ADMIN_CONTEXT: AuthContext = Object.freeze({
  kind: 'admin',
  rights: Object.freeze(['*']) as readonly string[],
  scope: 'admin',
});

/** A presented credential with the SHA-256 of its value, computed once: admin compare, verified-key memo, log tag. */
export interface Presented extends KeyCandidate {
  digest: Buffer;
}

const ESTABLISHED = Symbol('athena.authenticated');

/**
 * What authentication established about a call (the GatewayCall's `principal`); authorization adds the right
 * an operation needs. Only AuthenticationService creates one: authorization refuses any other principal.
 */
export interface AuthPrincipal extends Principal {
  kind: 'admin' | 'key' | 'anonymous' | 'store_down';
  /** The client authentication ran for (the call's client, or `/query/sql`'s `db_name`). */
  client: string | null;
  enforced: boolean;
  /** Every credential presented (kept for a re-authentication under another client; never serialized). */
  presented: readonly Presented[];
  candidate: Presented | null;
  parsed: ParsedApiKey | null;
  key: CachedKey | null;
  context: AuthContext;
  readonly [ESTABLISHED]: true;
}

export function newPrincipal(client: string | null, presented: readonly Presented[]): AuthPrincipal {
  return {
    kind: 'anonymous',
    client,
    enforced: false,
    presented,
    candidate: null,
    parsed: null,
    key: null,
    context: ANONYMOUS,
    [ESTABLISHED]: true,
  };
}

export function isAuthPrincipal(p: Principal): p is AuthPrincipal {
  return (p as Partial<AuthPrincipal>)[ESTABLISHED] === true;
}

export function keyContext(key: CachedKey): AuthContext {
  return { kind: 'api_key', apiKeyId: key.id, publicId: key.publicId, rights: key.rights, scope: key.scope };
}
