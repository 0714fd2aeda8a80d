import { Injectable } from '@nestjs/common';
import type { GatewayCall } from '@athena/common';
import {
  BackendDriver,
  BackendKind,
  CUSTOM_SUPABASE,
  CustomSupabaseService,
  DIRECT_CLIENT_LABEL,
  DirectConnectionService,
  DriverRegistry,
} from '@athena/drivers';
import { ClientCatalogService } from './client-catalog.service';

/** Where one request runs: the adapter, and the client name/backend recorded in logs and metrics. */
export interface RequestTarget {
  driver: BackendDriver;
  /** Catalog name, `custom_supabase`, or `direct_connection` (never a URI). */
  name: string;
  backend: BackendKind;
  /**
   * Ad-hoc targets named by the request itself (direct connections, custom_supabase) are identified by a
   * per-process id, so other instances cannot invalidate their cached reads: they are never cached.
   */
  ephemeral?: true;
}

/**
 * Resolves a call to its backend: a direct connection (`x-pg-uri` / `X-JDBC-URL`, when enabled), the
 * reserved `custom_supabase` client (`x-supabase-url` / `x-supabase-key`, when enabled), or a catalog client from
 * `X-Athena-Client` (or `fallbackClient`, e.g. `/query/sql`'s `db_name`). Synchronous except for custom_supabase,
 * whose host check may need a DNS lookup, and a direct connection's first request (its pool opens first).
 */
@Injectable()
export class RequestTargetResolver {
  constructor(
    private readonly catalog: ClientCatalogService,
    private readonly drivers: DriverRegistry,
    private readonly direct: DirectConnectionService,
    private readonly customSupabase: CustomSupabaseService,
  ) {}

  resolve(
    call: Pick<GatewayCall, 'client' | 'target'>,
    fallbackClient?: string | null,
  ): RequestTarget | Promise<RequestTarget> {
    const uri = call.target.directUri;
    if (uri !== null) {
      const d = this.direct.resolve(uri);
      return d instanceof Promise
        ? d.then((driver) => ({
            driver,
            name: DIRECT_CLIENT_LABEL,
            backend: 'postgres' as const,
            ephemeral: true as const,
          }))
        : { driver: d, name: DIRECT_CLIENT_LABEL, backend: 'postgres', ephemeral: true };
    }
    let name = call.client ?? undefined;
    if (!name && fallbackClient) name = fallbackClient.trim();
    if (name && name.toLowerCase() === CUSTOM_SUPABASE) {
      return this.customSupabase
        .resolve(call.target.supabaseUrl, call.target.supabaseKey)
        .then((driver) => ({ driver, name: CUSTOM_SUPABASE, backend: 'supabase' as const, ephemeral: true as const }));
    }
    const desc = this.catalog.resolve(name);
    return { driver: this.drivers.forClient(desc), name: desc.name, backend: desc.backend };
  }
}
