import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiKeyEnforcementRepository, AUTH_CHANGED_CHANNEL, ControlPlaneEvents } from '@athena/store';
import { AuthClock } from './auth-clock';

export const ENFORCEMENT_TTL_MS = 2000;

interface Snapshot {
  global: boolean;
  clients: Map<string, boolean>;
  loadedAt: number;
}

/**
 * Effective enforcement for a client: the per-client override in `api_key_client_config` when there is one,
 * else the global `api_key_config.enforce_api_keys`. Both tables are read together and cached ~2 s;
 * config changes (any instance) drop the snapshot at once.
 */
@Injectable()
export class EnforcementService implements OnModuleInit {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private generation = 0;

  constructor(
    private readonly repo: ApiKeyEnforcementRepository,
    private readonly events: ControlPlaneEvents,
    private readonly clock: AuthClock,
  ) {}

  onModuleInit(): void {
    this.events.subscribe(AUTH_CHANGED_CHANNEL, () => this.invalidate());
  }

  invalidate(): void {
    this.generation++;
    this.snapshot = null;
    this.loading = null; // a load that started before the change must not answer later callers
  }

  /** Synchronous when the snapshot is fresh; rejects when the store cannot be read. */
  isEnforced(client: string | null): boolean | Promise<boolean> {
    const s = this.snapshot;
    if (s && this.clock.now() - s.loadedAt < ENFORCEMENT_TTL_MS) return decide(s, client);
    return this.refresh().then((fresh) => decide(fresh, client));
  }

  private refresh(): Promise<Snapshot> {
    if (this.loading) return this.loading;
    const gen = this.generation;
    this.loading = (async () => {
      if (!this.repo.available) throw new Error('control plane not connected');
      const { global, clients } = await this.repo.loadEnforcement();
      const s: Snapshot = {
        global,
        clients: new Map(clients.map((c) => [c.client_name.toLowerCase(), c.enforce_api_keys])),
        loadedAt: this.clock.now(),
      };
      if (gen === this.generation) this.snapshot = s;
      return s;
    })();
    const p = this.loading;
    void p
      .finally(() => {
        if (this.loading === p) this.loading = null;
      })
      .catch(() => undefined);
    return p;
  }
}

function decide(s: Snapshot, client: string | null): boolean {
  if (client) {
    const override = s.clients.get(client.toLowerCase());
    if (override !== undefined) return override;
  }
  return s.global;
}
