import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { isConnectionLoss } from '@athena/common';
import { ClientCatalogService } from '@athena/catalog';
import { ok, SuccessEnvelope } from '@athena/http';
import { ROOT_LOGGER } from '@athena/observability';
import { provisionDatabase } from '@athena/store';
import { AdminClientsService } from './admin-clients.service';
import { redactUri, requirePgUri } from './client-uri';
import type { ProvisionDto } from './dto/admin-clients.dto';
import { AdminClientsErrors } from './errors';

const DEFAULT_REGISTER_NAME = 'provisioned';

/** `POST /admin/provision`: runs the bundled idempotent schema script on a database. */
@Injectable()
export class ProvisionService {
  private readonly logger: PinoLogger;

  constructor(
    private readonly catalog: ClientCatalogService,
    private readonly clients: AdminClientsService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'provision' });
  }

  async provision(dto: ProvisionDto): Promise<SuccessEnvelope> {
    const hasUri = typeof dto.uri === 'string' && dto.uri.trim() !== '';
    const hasClient = typeof dto.client_name === 'string' && dto.client_name.trim() !== '';
    if (hasUri === hasClient) {
      throw AdminClientsErrors.invalidProvisionTarget(
        'Ambiguous or missing target',
        'Send exactly one of uri (a postgres:// URI) or client_name (a registered PostgreSQL client)',
      );
    }
    let uri: string;
    let label: string;
    if (hasUri) {
      uri = requirePgUri('uri', dto.uri!);
      label = redactUri(uri)!;
    } else {
      const entry = this.catalog.lookup(dto.client_name!.trim());
      if (!entry)
        throw AdminClientsErrors.clientNotFound(
          'Athena client not found',
          `No client named "${dto.client_name}" is registered`,
        );
      if (entry.backend !== 'postgres')
        throw AdminClientsErrors.unsupportedBackend(
          'Not a PostgreSQL client',
          `"${entry.name}" is a ${entry.backend} client; provisioning needs PostgreSQL`,
        );
      if (!entry.descriptor)
        throw AdminClientsErrors.provisionClientUnconfigured(
          'Client has no connection configured',
          `Client "${entry.name}" has no connection URI (is its environment variable set?)`,
        );
      uri = entry.descriptor.uri;
      label = entry.name;
    }
    const registerName = hasUri && dto.register ? dto.register_name?.trim() || DEFAULT_REGISTER_NAME : null;
    if (registerName && this.catalog.lookup(registerName)) {
      throw AdminClientsErrors.duplicateClient(
        'Client already exists',
        `Cannot register under "${registerName}": a client with that name exists; pick another register_name`,
      );
    }
    let result;
    try {
      result = await provisionDatabase(uri);
    } catch (e) {
      const msg = redactUri((e as Error).message) ?? 'unknown error';
      if (
        isConnectionLoss(e) ||
        /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|password authentication|does not exist|SASL|SCRAM|client password/i.test(msg)
      ) {
        throw AdminClientsErrors.provisionTargetUnavailable(
          'Provisioning target unavailable',
          `Cannot reach ${label}: ${msg}`,
        );
      }
      this.logger.error(`provisioning ${label} failed: ${msg}`);
      throw AdminClientsErrors.provisionFailed(
        'Provisioning failed',
        `A provisioning statement failed on ${label}: ${msg}`,
      );
    }
    if (registerName) await this.clients.create({ client_name: registerName, pg_uri: uri });
    return ok(`Provisioned ${label}: ${result.statements_executed} statements`, {
      statements_executed: result.statements_executed,
      client: registerName ?? label,
      registered: registerName,
      tables: result.tables,
    });
  }
}
