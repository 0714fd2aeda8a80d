import { Test } from '@nestjs/testing';
import { parseApiKey, verifySecret } from '@athena/auth';
import { ApiKeyEnforcementRepository, ApiKeysRepository } from '@athena/store';
import { StoreErrors } from '../../store/src/errors';
import { ApiKeysAdminService } from './api-keys-admin.service';

/** The API-key admin use cases without HTTP or a database: validation, key generation, retries, not-found. */
describe('ApiKeysAdminService', () => {
  const created: Record<string, unknown>[] = [];
  let collisions = 0;
  const updates: [string, unknown][] = [];
  let admin: ApiKeysAdminService;
  const ID = '3f0c2a5e-8b1d-4c7a-9e2f-1a2b3c4d5e6f';

  beforeAll(async () => {
    const mod = await Test.createTestingModule({
      providers: [
        ApiKeysAdminService,
        {
          provide: ApiKeysRepository,
          useValue: {
            createKey: async (row: Record<string, unknown>) => {
              if (collisions > 0) {
                collisions--;
                throw StoreErrors.duplicatePublicId('Duplicate public id');
              }
              created.push(row);
              return { id: ID, name: row.name, public_id: row.public_id };
            },
            updateKey: async (id: string, patch: unknown) => {
              updates.push([id, patch]);
              return id === ID ? { id } : null;
            },
            archiveKey: async (id: string) => id === ID,
          },
        },
        {
          provide: ApiKeyEnforcementRepository,
          useValue: {
            upsertClientConfig: async (client_name: string, enforce: boolean) => ({ client_name, enforce }),
            deleteClientConfig: async () => false,
          },
        },
      ],
    }).compile();
    admin = mod.get(ApiKeysAdminService);
  });

  beforeEach(() => {
    created.length = 0;
    updates.length = 0;
    collisions = 0;
  });

  it('creates a key: the plaintext is returned once, only its salted hash is stored, and it verifies', async () => {
    const res = await admin.createKey({ name: '  reporting  ', rights: ['items.read'], client_name: ' ' });
    const { api_key, record } = res.data as { api_key: string; record: { name: string } };
    const parsed = parseApiKey(api_key)!;
    expect(parsed).not.toBeNull();
    expect(record.name).toBe('reporting');
    const row = created[0] as {
      key_salt: string;
      key_hash: string;
      public_id: string;
      client_name: unknown;
      rights: string[];
    };
    expect(row).toMatchObject({ public_id: parsed.publicId, client_name: null, rights: ['items.read'] });
    expect(JSON.stringify(row)).not.toContain(parsed.secret);
    expect(verifySecret(row.key_salt, parsed.secret, row.key_hash)).toBe(true);
  });

  it('retries a public-id collision with a fresh key, then gives up after three attempts', async () => {
    collisions = 2;
    await expect(admin.createKey({ name: 'a' })).resolves.toMatchObject({ status: 'success' });
    expect(created).toHaveLength(1);
    collisions = 3;
    await expect(admin.createKey({ name: 'b' })).rejects.toMatchObject({ code: 'duplicate_public_id' });
  });

  it('refuses bad input with stable codes before touching the store', async () => {
    await expect(admin.createKey({ name: '   ' })).rejects.toMatchObject({ status: 400, code: 'invalid_name' });
    await expect(admin.createKey({ name: 'x', expires_at: '2001-01-01T00:00:00Z' })).rejects.toMatchObject({
      status: 400,
      code: 'expires_at_in_past',
    });
    await expect(admin.createKey({ name: 'x', expires_at: 'tomorrow' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_expires_at',
    });
    await expect(admin.updateKey('not-a-uuid', { name: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_id',
    });
    await expect(admin.updateKey(ID, { is_active: null } as never)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_is_active',
    });
    await expect(admin.upsertClient('bad name!', true)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_client_name',
    });
    expect(created).toEqual([]);
    expect(updates).toEqual([]);
  });

  it('not found is 404 with the id, and ids are normalised to lower case', async () => {
    await expect(admin.updateKey(ID.toUpperCase(), { name: 'renamed' })).resolves.toMatchObject({
      message: 'API key updated',
    });
    expect(updates[0][0]).toBe(ID);
    const other = '00000000-0000-4000-8000-000000000000';
    await expect(admin.archiveKey(other)).rejects.toMatchObject({ status: 404, code: 'api_key_not_found' });
    await expect(admin.deleteClient('reporting')).rejects.toMatchObject({
      status: 404,
      code: 'client_config_not_found',
    });
  });
});
