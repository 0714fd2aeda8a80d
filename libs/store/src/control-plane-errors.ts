import type { EntityManager } from 'typeorm';
import { AthenaError, isConnectionLoss } from '@athena/common';
import { StoreErrors } from './errors';
import type { ControlPlaneEvents } from './control-plane-events';
import type { ControlPlaneService } from './control-plane.service';

/** Admin reads/writes: a lost control plane answers 503 (`control_plane_unavailable`), not 500. */
export async function unavailableOnConnectionLoss<T>(p: Promise<T>, store = 'Auth store'): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!(e instanceof AthenaError) && isConnectionLoss(e)) {
      throw StoreErrors.controlPlaneUnavailable(
        `${store} unavailable`,
        'The control-plane database cannot be reached; retry shortly',
      );
    }
    throw e;
  }
}

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, affected]; everything else with rows. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as T[];
  return result as T[];
}

export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string })?.code === '23505';
}

/**
 * Admin access to the control plane shared by the repositories: reads and notifying writes answer 503 when it
 * is not reachable. A write runs in one transaction (nothing half-written), publishes `channel` with pg_notify
 * (delivered to every instance on commit) and then notifies this instance's subscribers directly.
 */
export class ControlPlaneAccess {
  constructor(
    private readonly cp: ControlPlaneService,
    private readonly events: ControlPlaneEvents,
    private readonly store: string,
  ) {}

  requireReady(): void {
    if (!this.cp.isReady)
      throw StoreErrors.controlPlaneUnavailable(
        `${this.store} unavailable`,
        'The control-plane database is not connected; retry shortly',
      );
  }

  async write<T>(channel: string, what: string, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    this.requireReady();
    const result = await unavailableOnConnectionLoss(
      this.cp.dataSource.transaction(async (m) => {
        const r = await fn(m);
        await m.query('SELECT pg_notify($1, $2)', [channel, what]);
        return r;
      }),
      this.store,
    );
    this.events.emitLocal(channel, what);
    return result;
  }

  read<T>(sql: string, params?: unknown[]): Promise<T> {
    this.requireReady();
    return unavailableOnConnectionLoss(this.cp.dataSource.query(sql, params), this.store);
  }
}
