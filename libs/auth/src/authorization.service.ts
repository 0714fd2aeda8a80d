import { Injectable } from '@nestjs/common';
import { GatewayCall } from '@athena/common';
import type { TableRef } from '@athena/query';
import { AuthAudit } from './auth-audit';
import { AuthErrors } from './auth-errors';
import { isAuthPrincipal } from './auth-principal';
import { TableAction } from './rights';
import { AuthErrorCodes } from './errors';

/**
 * Authorization, transport-free: does the call's principal hold the right an operation needs? Called by the
 * application services on the parsed request (the table right comes from the parsed table reference), so
 * HTTP, WebSocket frames, the deferred worker and pipelines get the same check and the same audit rows.
 * Synchronous: the verified key and its compiled grants are already on the principal.
 */
@Injectable()
export class AuthorizationService {
  constructor(private readonly audit: AuthAudit) {}

  /** Throws 403 `insufficient_api_key_rights` when enforcement applies and the key lacks `required`. */
  authorize(call: GatewayCall, required: string): void {
    const st = call.principal;
    if (!isAuthPrincipal(st)) {
      // A call that skipped authentication is a wiring bug: never let it through.
      throw AuthErrorCodes.unauthenticatedCall('Internal error', 'The call was not authenticated before authorization');
    }
    if (st.kind === 'anonymous' || st.kind === 'store_down') return;
    if (st.kind === 'admin') {
      this.audit.record(call, st, required, {
        credential: 'admin_key',
        authenticated: true,
        authorized: true,
        outcome: 'allowed',
        reason: 'admin_key',
      });
      this.audit.count('allowed', 'admin_key', true);
      return;
    }
    const key = st.key!;
    this.audit.touch(key);
    if (!key.matcher.allows(required)) {
      this.audit.record(
        call,
        st,
        required,
        {
          credential: 'api_key',
          authenticated: true,
          authorized: false,
          outcome: st.enforced ? 'denied' : 'allowed',
          reason: 'insufficient_api_key_rights',
        },
        key,
      );
      this.audit.count(st.enforced ? 'denied' : 'allowed', 'insufficient_api_key_rights', st.enforced);
      if (st.enforced) throw AuthErrors.insufficientRights(required);
      return;
    }
    this.audit.record(
      call,
      st,
      required,
      { credential: 'api_key', authenticated: true, authorized: true, outcome: 'allowed', reason: 'ok' },
      key,
    );
    this.audit.count('allowed', 'ok', st.enforced);
  }

  /** `<table>.<action>` for an unqualified table, `gateway.<action>` for a schema-qualified one. */
  authorizeTable(call: GatewayCall, action: TableAction, table: TableRef): void {
    this.authorize(call, tableRight(action, table));
  }

  /** True when the call authenticated with the static admin key. */
  isAdmin(call: GatewayCall): boolean {
    const st = call.principal;
    return isAuthPrincipal(st) && st.kind === 'admin';
  }
}

/** The right a table operation needs, from the parsed table reference. */
export function tableRight(action: TableAction, table: TableRef): string {
  return table.schema === null ? `${table.name}.${action}` : `gateway.${action}`;
}
