import { Injectable } from '@nestjs/common';
import { AthenaError, invalidClientName, isValidClientName } from '@athena/common';
import { generateApiKey } from '@athena/auth';
import { ApiKeyEnforcementRepository, ApiKeyPatch, ApiKeysRepository } from '@athena/store';
import { ok, SuccessEnvelope } from '@athena/http';
import type { CreateApiKeyDto, CreateRightDto, UpdateApiKeyDto, UpdateRightDto } from './dto/api-keys.dto';
import { ApiKeysErrors } from './errors';

/** The fields PATCH /admin/api-keys/{id} can change; a body with none of them is refused (as the rights PATCH does). */
const KEY_PATCH_FIELDS = ['name', 'description', 'client_name', 'expires_at', 'is_active', 'rights'] as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CREATE_ATTEMPTS = 3;

function requireUuid(id: string, what: string): string {
  if (!UUID_RE.test(id))
    throw ApiKeysErrors.invalidId(
      `Invalid ${what} id`,
      `"${id.slice(0, 64)}" is not a UUID; use the id returned when it was created`,
    );
  return id.toLowerCase();
}

function futureDate(v: string | null | undefined): Date | null | undefined {
  if (v === undefined || v === null) return v;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw ApiKeysErrors.invalidExpiresAt(
      'Invalid expires_at',
      'expires_at must be an RFC 3339 timestamp such as 2027-01-01T00:00:00Z',
    );
  if (d.getTime() <= Date.now()) {
    throw ApiKeysErrors.expiresAtInPast(
      'expires_at is in the past',
      `expires_at (${v}) must be in the future; omit it (or send null) for a key that never expires`,
    );
  }
  return d;
}

function blankToNull(v: string | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Admin use cases for keys, rights and enforcement config (validation beyond the DTOs, key generation). */
@Injectable()
export class ApiKeysAdminService {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly enforcement: ApiKeyEnforcementRepository,
  ) {}

  async listKeys(limit = 1000, offset = 0): Promise<SuccessEnvelope> {
    const api_keys = await this.repo.listKeys(limit, offset);
    return ok(`${api_keys.length} API ${api_keys.length === 1 ? 'key' : 'keys'}`, { api_keys });
  }

  async createKey(dto: CreateApiKeyDto): Promise<SuccessEnvelope> {
    const expires = futureDate(dto.expires_at) ?? null;
    const name = dto.name.trim();
    if (name === '') throw ApiKeysErrors.invalidName('Invalid name', 'name must not be blank');
    for (let attempt = 1; ; attempt++) {
      const k = generateApiKey();
      try {
        const record = await this.repo.createKey({
          public_id: k.publicId,
          name,
          description: blankToNull(dto.description) ?? null,
          client_name: blankToNull(dto.client_name) ?? null,
          expires_at: expires,
          key_salt: k.salt,
          key_hash: k.hash,
          rights: dto.rights ?? [],
        });
        return ok('API key created; store api_key now, it is not shown again', { api_key: k.plaintext, record });
      } catch (e) {
        // A public-id collision (2^64 space) is retried with a fresh key; a name clash is the caller's.
        if (e instanceof AthenaError && e.code === 'duplicate_public_id' && attempt < MAX_CREATE_ATTEMPTS) continue;
        throw e;
      }
    }
  }

  async updateKey(id: string, dto: UpdateApiKeyDto): Promise<SuccessEnvelope> {
    const keyId = requireUuid(id, 'API key');
    if (!dto || KEY_PATCH_FIELDS.every((f) => dto[f] === undefined)) {
      throw ApiKeysErrors.emptyUpdate('Nothing to update', `Send at least one of ${KEY_PATCH_FIELDS.join(', ')}`);
    }
    if (dto.name === null)
      throw ApiKeysErrors.invalidName('Invalid name', 'name cannot be null; omit it to keep the current name');
    if (dto.is_active === null)
      throw ApiKeysErrors.invalidIsActive('Invalid is_active', 'is_active must be true or false');
    if (dto.rights === null)
      throw ApiKeysErrors.invalidRights('Invalid rights', 'rights must be an array; send [] to remove every right');
    const patch: ApiKeyPatch = {
      name: dto.name?.trim(),
      description: dto.description === undefined ? undefined : blankToNull(dto.description),
      client_name: dto.client_name === undefined ? undefined : blankToNull(dto.client_name),
      expires_at: futureDate(dto.expires_at),
      is_active: dto.is_active,
      rights: dto.rights,
    };
    if (patch.name === '') throw ApiKeysErrors.invalidName('Invalid name', 'name must not be blank');
    const record = await this.repo.updateKey(keyId, patch);
    if (!record) throw ApiKeysErrors.apiKeyNotFound('API key not found', `No live API key has id ${keyId}`);
    return ok('API key updated', { record });
  }

  async archiveKey(id: string): Promise<SuccessEnvelope> {
    const keyId = requireUuid(id, 'API key');
    if (!(await this.repo.archiveKey(keyId)))
      throw ApiKeysErrors.apiKeyNotFound('API key not found', `No live API key has id ${keyId}`);
    return ok('API key archived; it no longer authenticates', { id: keyId });
  }

  async listRights(): Promise<SuccessEnvelope> {
    const rights = await this.repo.listRights();
    return ok(`${rights.length} ${rights.length === 1 ? 'right' : 'rights'}`, { rights });
  }

  async createRight(dto: CreateRightDto): Promise<SuccessEnvelope> {
    const right = await this.repo.createRight(dto.name, blankToNull(dto.description) ?? null);
    return ok('Right created', { right });
  }

  async updateRight(id: string, dto: UpdateRightDto): Promise<SuccessEnvelope> {
    const rightId = requireUuid(id, 'right');
    if (!dto) throw ApiKeysErrors.emptyUpdate('Nothing to update', 'Send name and/or description');
    if (dto.name === null) throw ApiKeysErrors.invalidName('Invalid name', 'name cannot be null');
    if (dto.name === undefined && dto.description === undefined) {
      throw ApiKeysErrors.emptyUpdate('Nothing to update', 'Send name and/or description');
    }
    const right = await this.repo.updateRight(rightId, {
      name: dto.name,
      description: dto.description === undefined ? undefined : blankToNull(dto.description),
    });
    if (!right) throw ApiKeysErrors.rightNotFound('Right not found', `No right has id ${rightId}`);
    return ok('Right updated', { right });
  }

  async deleteRight(id: string): Promise<SuccessEnvelope> {
    const rightId = requireUuid(id, 'right');
    if (!(await this.repo.deleteRight(rightId)))
      throw ApiKeysErrors.rightNotFound('Right not found', `No right has id ${rightId}`);
    return ok('Right deleted (and removed from every key that held it)', { id: rightId });
  }

  async getConfig(): Promise<SuccessEnvelope> {
    const [global, clients] = await Promise.all([
      this.enforcement.getGlobalConfig(),
      this.enforcement.listClientConfigs(),
    ]);
    return ok('API key enforcement config', { global, clients });
  }

  async setGlobal(enforce: boolean): Promise<SuccessEnvelope> {
    await this.enforcement.setGlobalConfig(enforce);
    const [global, clients] = await Promise.all([
      this.enforcement.getGlobalConfig(),
      this.enforcement.listClientConfigs(),
    ]);
    return ok(`API key enforcement ${enforce ? 'on' : 'off'} globally`, { global, clients });
  }

  async listClients(): Promise<SuccessEnvelope> {
    const clients = await this.enforcement.listClientConfigs();
    return ok(`${clients.length} client ${clients.length === 1 ? 'override' : 'overrides'}`, { clients });
  }

  async upsertClient(clientName: string, enforce: boolean): Promise<SuccessEnvelope> {
    const name = requireClient(clientName);
    const client = await this.enforcement.upsertClientConfig(name, enforce);
    return ok(`API key enforcement ${enforce ? 'on' : 'off'} for client ${client.client_name}`, { client });
  }

  async deleteClient(clientName: string): Promise<SuccessEnvelope> {
    const name = requireClient(clientName);
    if (!(await this.enforcement.deleteClientConfig(name)))
      throw ApiKeysErrors.clientConfigNotFound(
        'Client config not found',
        `No enforcement override exists for client "${name}"`,
      );
    return ok('Client override removed; the global setting applies', { client_name: name });
  }
}

function requireClient(name: string): string {
  const n = (name ?? '').trim();
  if (!isValidClientName(n)) throw invalidClientName('invalid_client_name', 'client_name');
  return n;
}
