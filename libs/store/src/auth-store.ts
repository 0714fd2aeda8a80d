import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AthenaError, isConnectionLoss } from '@athena/common';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneService } from './control-plane.service';
import { StoreErrors } from './errors';

/** NOTIFY channel for any change to keys, rights, grants or enforcement config. */
export const AUTH_CHANGED_CHANNEL = 'athena_auth_changed';

/**
 * What the auth repositories share (internal to the store, not exported from @athena/store): readiness, admin
 * reads that answer 503 when the control plane is unreachable, and writes that run in one transaction (nothing
 * half-written), publish AUTH_CHANGED_CHANNEL with pg_notify (delivered to every instance on commit) and then
 * notify this instance's subscribers directly.
 */
@Injectable()
export class AuthStore {
  constructor(
    private readonly cp: ControlPlaneService,
    private readonly events: ControlPlaneEvents,
  ) {}

  get available(): boolean {
    return this.cp.isReady;
  }

  /** The control-plane DataSource, for hot-path queries. */
  get dataSource(): ControlPlaneService['dataSource'] {
    return this.cp.dataSource;
  }

  private requireReady(): void {
    if (!this.cp.isReady) throw StoreErrors.controlPlaneUnavailable('Auth store unavailable', 'The control-plane database is not connected; retry shortly');
  }

  async write<T>(what: string, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    this.requireReady();
    const result = await unavailableOnConnectionLoss(this.cp.dataSource.transaction(async (m) => {
      const r = await fn(m);
      await m.query('SELECT pg_notify($1, $2)', [AUTH_CHANGED_CHANNEL, what]);
      return r;
    }));
    this.events.emitLocal(AUTH_CHANGED_CHANNEL, what);
    return result;
  }

  /** Admin reads: 503 (not 500) when the control plane is unreachable. */
  read<T>(sql: string, params?: unknown[]): Promise<T> {
    this.requireReady();
    return unavailableOnConnectionLoss(this.cp.dataSource.query(sql, params));
  }
}

async function unavailableOnConnectionLoss<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!(e instanceof AthenaError) && isConnectionLoss(e)) {
      throw StoreErrors.controlPlaneUnavailable('Auth store unavailable', 'The control-plane database cannot be reached; retry shortly');
    }
    throw e;
  }
}

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, affected]; everything else with rows. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
