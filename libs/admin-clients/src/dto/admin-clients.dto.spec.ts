import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateClientDto, DrilldownQueryDto, FreezeClientDto } from './admin-clients.dto';

function errors<T extends object>(cls: new () => T, plain: Record<string, unknown>): string[] {
  return validateSync(plainToInstance(cls, plain), { whitelist: true }).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );
}

describe('admin client DTOs', () => {
  it('drilldown: table_name and operation required; status, limit 1..500 and offset ≥ 0 checked', () => {
    expect(errors(DrilldownQueryDto, { table_name: 'pets', operation: 'fetch' })).toEqual([]);
    expect(
      errors(DrilldownQueryDto, {
        table_name: 'pets',
        operation: 'fetch',
        status: 'errors',
        limit: '500',
        offset: '0',
      }),
    ).toEqual([]);
    expect(errors(DrilldownQueryDto, { operation: 'fetch' })).toContain('table_name is required');
    expect(errors(DrilldownQueryDto, { table_name: 'pets' })).toContain('operation is required');
    for (const bad of [
      { status: 'weird' },
      { limit: '0' },
      { limit: '501' },
      { limit: '1.5' },
      { limit: 'abc' },
      { offset: '-1' },
    ]) {
      expect(errors(DrilldownQueryDto, { table_name: 'pets', operation: 'fetch', ...bad }).length).toBeGreaterThan(0);
    }
  });

  it('create: client_name follows the client-name rule; env var names are checked', () => {
    expect(errors(CreateClientDto, { client_name: 'reporting', pg_uri: 'postgres://h/db' })).toEqual([]);
    expect(errors(CreateClientDto, {}).length).toBeGreaterThan(0);
    expect(errors(CreateClientDto, { client_name: 'bad name!' }).length).toBeGreaterThan(0);
    expect(errors(CreateClientDto, { client_name: 'x', pg_uri_env_var: '1BAD-NAME' }).length).toBeGreaterThan(0);
  });

  it('freeze: is_frozen must be a boolean', () => {
    expect(errors(FreezeClientDto, { is_frozen: false })).toEqual([]);
    expect(errors(FreezeClientDto, {})).toContain('is_frozen is required');
    expect(errors(FreezeClientDto, { is_frozen: 'yes' })).toContain('is_frozen must be true or false');
  });
});
