import { Injectable } from '@nestjs/common';
import type { GatewayCall } from '@athena/common';
import { redactUrl } from '@athena/observability';
import type { AuthLogRow } from '@athena/store';
import { parseApiKey } from './api-key-format';
import type { AuthPrincipal } from './auth-principal';
import { AuthLogWriter } from './auth-log-writer';
import { AuthMetrics } from './auth-metrics';
import type { CachedKey } from './key-cache';

/** The audit side of authentication and authorization: `api_key_auth_log` rows, outcome metrics, last use. */
@Injectable()
export class AuthAudit {
  constructor(
    private readonly log: AuthLogWriter,
    private readonly metrics: AuthMetrics,
  ) {}

  count(outcome: string, reason: string, enforced: boolean): void {
    this.metrics.countOutcome(outcome, reason, enforced);
  }

  /** Marks a key as used (coalesced `last_used_at`). */
  touch(key: CachedKey): void {
    this.log.touch(key.internalId);
  }

  /** One `api_key_auth_log` row for `call`: never the secret, never the stored hash. */
  record(
    call: GatewayCall,
    st: Pick<AuthPrincipal, 'client' | 'enforced' | 'candidate' | 'parsed'>,
    required: string | null,
    r: Pick<AuthLogRow, 'credential' | 'authenticated' | 'authorized' | 'outcome' | 'reason'>,
    key?: CachedKey,
  ): void {
    const o = call.origin;
    const url = redactUrl(o.url);
    const q = url.indexOf('?');
    const c = st.candidate;
    const asKey = c !== null && r.credential === 'api_key';
    const parsed = asKey ? (st.parsed ?? parseApiKey(c.value)) : null;
    this.log.record({
      created_at: Date.now(),
      request_id: call.requestId,
      api_key_id: key?.id ?? null,
      presented_public_id: parsed?.publicId ?? null,
      // A 12-hex tag of what was presented (admin key: nothing).
      presented_hash_prefix: asKey ? c.digest.toString('hex', 0, 6) : null,
      key_source: c?.source ?? null,
      credential: r.credential,
      client_name: st.client,
      method: o.method,
      path: q === -1 ? url : url.slice(0, q),
      ipv4: o.ip,
      user_agent: o.userAgent === null ? null : o.userAgent.slice(0, 512),
      enforced: st.enforced,
      authenticated: r.authenticated,
      authorized: r.authorized,
      required_rights: required ? [required] : null,
      granted_rights: key ? [...key.rights] : r.credential === 'admin_key' ? ['*'] : null,
      outcome: r.outcome,
      reason: r.reason,
    });
  }
}
