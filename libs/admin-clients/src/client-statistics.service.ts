import { Injectable } from '@nestjs/common';

import { ClientCatalogService } from '@athena/catalog';
import { ok, SuccessEnvelope } from '@athena/http';
import { ClientStatisticsRepository } from '@athena/store';
import type { DrilldownQueryDto } from './dto/admin-clients.dto';
import { AdminClientsErrors } from './errors';

/**
 * Client statistics. The tables are kept current by the log writer's batches (fresh within one flush,
 * `DEFAULT_LOG_WRITER_OPTIONS.flushIntervalMs` = 250 ms); `refresh` rebuilds them from the logs.
 */
@Injectable()
export class ClientStatisticsService {
  constructor(
    private readonly repo: ClientStatisticsRepository,
    private readonly catalog: ClientCatalogService,
  ) {}

  async list(): Promise<SuccessEnvelope> {
    const statistics = await this.repo.list();
    return ok(`Statistics for ${statistics.length} ${statistics.length === 1 ? 'client' : 'clients'}`, { statistics });
  }

  async refresh(): Promise<SuccessEnvelope> {
    await this.repo.rebuild();
    const statistics = await this.repo.list();
    return ok('Statistics rebuilt from the gateway logs', { statistics });
  }

  async forClient(name: string): Promise<SuccessEnvelope> {
    const found = await this.repo.forClient(name);
    if (!found) {
      throw AdminClientsErrors.clientStatisticsNotFound(
        'Client statistics not found',
        `No request or operation has been logged for client "${name}" yet`,
      );
    }
    return ok(`Statistics for ${found.statistics.client_name}`, found);
  }

  async drilldown(name: string, q: DrilldownQueryDto): Promise<SuccessEnvelope> {
    // Logs carry the catalog's spelling of the name; resolve it so the index is used with an exact match.
    let clientName = this.catalog.lookup(name)?.name;
    if (!clientName) {
      const stats = await this.repo.forClient(name);
      if (!stats)
        throw AdminClientsErrors.clientNotFound(
          'Athena client not found',
          `No client named "${name}" is registered or has logged operations`,
        );
      clientName = stats.statistics.client_name;
    }
    const query = {
      client_name: clientName,
      table_name: q.table_name,
      operation: q.operation,
      status: q.status ?? 'all',
      limit: q.limit ?? 100,
      offset: q.offset ?? 0,
    } as const;
    const rows = await this.repo.drilldown(query);
    return ok(`${rows.length} ${rows.length === 1 ? 'operation' : 'operations'}`, { ...query, rows });
  }
}
