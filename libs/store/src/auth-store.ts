import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ControlPlaneAccess } from './control-plane-errors';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneService } from './control-plane.service';

export { rowsOf } from './control-plane-errors';

/** NOTIFY channel for any change to keys, rights, grants or enforcement config. */
export const AUTH_CHANGED_CHANNEL = 'athena_auth_changed';

/**
 * What the auth repositories share (internal to the store, not exported from @athena/store): readiness, admin
 * reads that answer 503 when the control plane is unreachable, and writes that run in one transaction and
 * publish AUTH_CHANGED_CHANNEL (ControlPlaneAccess).
 */
@Injectable()
export class AuthStore {
  private readonly access: ControlPlaneAccess;

  constructor(
    private readonly cp: ControlPlaneService,
    events: ControlPlaneEvents,
  ) {
    this.access = new ControlPlaneAccess(cp, events, 'Auth store');
  }

  get available(): boolean {
    return this.cp.isReady;
  }

  /** The control-plane DataSource, for hot-path queries. */
  get dataSource(): ControlPlaneService['dataSource'] {
    return this.cp.dataSource;
  }

  write<T>(what: string, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.access.write(AUTH_CHANGED_CHANNEL, what, fn);
  }

  /** Admin reads: 503 (not 500) when the control plane is unreachable. */
  read<T>(sql: string, params?: unknown[]): Promise<T> {
    return this.access.read<T>(sql, params);
  }
}
