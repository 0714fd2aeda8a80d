/*
 * The spec and the parser agree: every request-body example of the generated OpenAPI document (assembled from the
 * `example`s of the DTO decorators, read from the document, never re-typed here) goes through the parser the route
 * really uses, and the parsed value must reflect each documented field.
 */
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { CreateApiKeyDto, CreateRightDto, EnforcementDto, UpdateApiKeyDto, UpdateRightDto } from '@athena/api-keys';
import { CreateClientDto, FreezeClientDto, ProvisionDto, requirePgUri, UpdateClientDto } from '@athena/admin-clients';
import { CreateBackupDto, RestoreBackupDto } from '@athena/backups';
import { AthenaError } from '@athena/common';
import { normalizeSql } from '@athena/gateway';
import {
  Condition,
  Filter,
  ParseOptions,
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
} from '@athena/query';
import { parseSqlRequest } from '@athena/sql';
import { generateOpenApiDocument } from './openapi-document';

type Schema = {
  $ref?: string;
  example?: unknown;
  enum?: unknown[];
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
};
type Body = Record<string, unknown>;

const OPTS: ParseOptions = { camelToSnake: false, maxRows: 10_000 };
/** The app's global pipe (apps/athena/src/server.ts): the parser of the admin DTOs. */
const pipe = new ValidationPipe({ whitelist: true, transform: true, forbidUnknownValues: false });

let doc: OpenAPIObject;
beforeAll(async () => {
  doc = await generateOpenApiDocument();
});

function schemas(): Record<string, Schema> {
  return (doc.components?.schemas ?? {}) as Record<string, Schema>;
}

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/components/schemas/', '');
  const target = schemas()[name];
  if (!target) throw new Error(`dangling $ref ${s.$ref}`);
  return target;
}

/** The example a schema documents: its own `example`, else one assembled from its parts' examples. */
function exampleOf(raw: Schema): unknown {
  const s = resolve(raw);
  if (s.example !== undefined) return s.example;
  if (s.allOf?.length === 1) return exampleOf(s.allOf[0]);
  if (s.properties) {
    const out: Body = {};
    for (const [k, p] of Object.entries(s.properties)) {
      const v = exampleOf(p);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (s.type === 'array' && s.items) {
    // One item per alternative (e.g. both condition shapes).
    const items = (s.items.oneOf ?? [s.items]).map(exampleOf).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return undefined;
}

function example(schemaName: string): Body {
  const s = schemas()[schemaName];
  if (!s) throw new Error(`schema ${schemaName} is not in the document`);
  return (exampleOf(s) ?? {}) as Body;
}

/** The documented values of a field: the first `enum` given for it anywhere in the schema (branches included). */
function documentedValues(schemaName: string, field: string): string[] {
  const enumOf = (p: Schema): unknown[] | undefined =>
    p.enum ?? [...(p.anyOf ?? []), ...(p.oneOf ?? [])].map(enumOf).find((e) => e !== undefined);
  const walk = (node: unknown): unknown[] | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const o = node as Schema;
    const p = o.properties?.[field];
    const here = p ? enumOf(p) : undefined;
    if (here) return here;
    for (const v of Object.values(o)) {
      const found = walk(v);
      if (found) return found;
    }
    return undefined;
  };
  const values = walk(schemas()[schemaName]);
  if (!values) throw new Error(`${schemaName}.${field} documents no values`);
  return values as string[];
}

function prop(schemaName: string, field: string): Schema {
  const p = schemas()[schemaName]?.properties?.[field];
  if (!p) throw new Error(`${schemaName}.${field} is not in the document`);
  return resolve(p);
}

/** The AST a documented condition must become. */
function expectedCondition(c: Body): Condition {
  if ('eq_column' in c) return { column: c.eq_column as string, op: 'eq', value: c.eq_value as Condition['value'] };
  return { column: c.column as string, op: c.operator as Condition['op'], value: c.value as Condition['value'] };
}

function tableText(t: { schema: string | null; name: string }): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

function expectConditions(parsed: Filter[], documented: unknown): void {
  expect(Array.isArray(documented)).toBe(true);
  expect(parsed).toEqual(expect.arrayContaining((documented as Body[]).map(expectedCondition)));
}

/** Request-body schema → the check that runs its example through the route's parser. */
const CHECKS: Record<string, (ex: Body) => void | Promise<void>> = {
  FetchRequestDto: (ex) => {
    const q = parseFetchPayload(ex, OPTS);
    expect(tableText(q.table)).toBe(ex.table_name);
    expect(q.columns).toEqual(ex.columns);
    expectConditions(q.conditions, ex.conditions);
    expect(q.limit).toBe(ex.limit);
    const sort = ex.sort_by as Body;
    expect(q.sort).toEqual({ column: sort.field, direction: sort.direction });
    expect(q.pageState).toBe(ex.page_state);
    expect(q.postProcessing).toMatchObject({ groupBy: ex.group_by, aggregationColumn: ex.aggregation_column });
  },
  InsertRequestDto: (ex) => {
    const c = parseInsertPayload(ex, OPTS);
    expect(tableText(c.table)).toBe(ex.table_name);
    expect(c.rows).toEqual(Array.isArray(ex.insert_body) ? ex.insert_body : [ex.insert_body]);
    expect(c.single).toBe(!Array.isArray(ex.insert_body));
  },
  UpdateRequestDto: (ex) => {
    const c = parseUpdatePayload(ex, OPTS);
    expect(tableText(c.table)).toBe(ex.table_name);
    expect(c.set).toEqual(ex.update_body);
    expectConditions(c.conditions, ex.conditions);
    expect(c.postProcessing).toMatchObject({ groupBy: ex.group_by, aggregationColumn: ex.aggregation_column });
  },
  DeleteRequestDto: (ex) => {
    const c = parseDeletePayload(ex, OPTS);
    expect(tableText(c.table)).toBe(ex.table_name);
    expect(c.resourceId).toBe(String(ex.resource_id));
    const idColumn = prop('DeleteRequestDto', 'resource_id_column') as Schema & { default?: string };
    expect(c.conditions[0]).toEqual({ column: idColumn.default, op: 'eq', value: ex.resource_id });
    expectConditions(c.conditions, ex.conditions);
  },
  QueryRequestDto: (ex) => {
    expect(normalizeSql(ex)).toBe(ex.query);
  },
  SqlRequestDto: (ex) => {
    const r = parseSqlRequest(ex);
    expect(r.query).toBe(ex.query);
    expect(r.driver).toBe(ex.driver);
    expect(r.dbName).toBe(ex.db_name);
  },
  CreateApiKeyDto: async (ex) => {
    expect(await validated(CreateApiKeyDto, ex)).toMatchObject(ex);
    // The admin service refuses an expires_at in the past (400 expires_at_in_past).
    expect({ expires_at: ex.expires_at, future: Date.parse(ex.expires_at as string) > Date.now() }).toEqual({
      expires_at: ex.expires_at,
      future: true,
    });
  },
  UpdateApiKeyDto: async (ex) => {
    expect(await validated(UpdateApiKeyDto, ex)).toMatchObject(ex);
  },
  CreateRightDto: async (ex) => {
    expect(await validated(CreateRightDto, ex)).toMatchObject(ex);
  },
  UpdateRightDto: async (ex) => {
    expect(await validated(UpdateRightDto, ex)).toMatchObject(ex);
  },
  EnforcementDto: async (ex) => {
    expect(await validated(EnforcementDto, ex)).toMatchObject(ex);
  },
  CreateBackupDto: async (ex) => {
    expect(await validated(CreateBackupDto, ex)).toMatchObject(ex);
  },
  RestoreBackupDto: async (ex) => {
    expect(await validated(RestoreBackupDto, ex)).toMatchObject(ex);
  },
  CreateClientDto: async (ex) => {
    expect(await validated(CreateClientDto, ex)).toMatchObject(ex);
    // Exactly one URI source, and the URI passes the service's own check.
    expect([ex.pg_uri, ex.pg_uri_env_var].filter((v) => typeof v === 'string')).toHaveLength(1);
    if (typeof ex.pg_uri === 'string') expect(() => requirePgUri('pg_uri', ex.pg_uri as string)).not.toThrow();
  },
  UpdateClientDto: async (ex) => {
    expect(await validated(UpdateClientDto, ex)).toMatchObject(ex);
  },
  FreezeClientDto: async (ex) => {
    expect(await validated(FreezeClientDto, ex)).toMatchObject(ex);
  },
  ProvisionDto: async (ex) => {
    expect(await validated(ProvisionDto, ex)).toMatchObject(ex);
    expect([ex.uri, ex.client_name].filter((v) => typeof v === 'string' && v !== '')).toHaveLength(1);
  },
};

function validated(metatype: new () => object, body: Body): Promise<unknown> {
  return pipe.transform(structuredClone(body), { type: 'body', metatype, data: undefined });
}

/** Every schema named as a request body by some operation. */
function requestBodySchemas(): string[] {
  const names = new Set<string>();
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(
      ops as Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>,
    )) {
      for (const media of Object.values(op?.requestBody?.content ?? {})) {
        const ref = media.schema?.$ref;
        if (ref) names.add(ref.replace('#/components/schemas/', ''));
      }
    }
  }
  return [...names].sort();
}

describe('OpenAPI examples parse with the real parsers', () => {
  it('every request body of the document has a parser check here', () => {
    expect(requestBodySchemas()).toEqual(Object.keys(CHECKS).sort());
  });

  it.each(Object.keys(CHECKS))('%s example', async (name) => {
    const ex = example(name);
    try {
      await CHECKS[name](ex);
    } catch (e) {
      // A refused example is a wrong example (the parser is the contract): fix the DTO's `example`.
      if (e instanceof AthenaError)
        throw new Error(`${name} example ${JSON.stringify(ex)} is refused: ${e.code}: ${e.detail}`);
      if (e instanceof BadRequestException)
        throw new Error(`${name} example ${JSON.stringify(ex)} is refused: ${JSON.stringify(e.getResponse())}`);
      throw e;
    }
  });

  it('every documented condition operator parses (fetch)', () => {
    const op = prop('OperatorConditionDto', 'operator');
    const base = example('OperatorConditionDto');
    expect(op.enum?.length).toBeGreaterThan(0);
    for (const operator of op.enum as string[]) {
      // Documented on `value`: an array for in/contains/containedBy; null/true/false for is.
      const value = ['in', 'contains', 'containedBy'].includes(operator)
        ? [base.value]
        : operator === 'is'
          ? null
          : base.value;
      const q = parseFetchPayload({ ...example('FetchRequestDto'), conditions: [{ ...base, operator, value }] }, OPTS);
      expect(q.conditions).toEqual([{ column: base.column, op: operator, value }]);
    }
  });

  it('every documented post-processing enum value parses (fetch)', () => {
    const ex = example('FetchRequestDto');
    for (const g of documentedValues('FetchRequestDto', 'time_granularity')) {
      expect(parseFetchPayload({ ...ex, time_granularity: g }, OPTS).postProcessing?.timeGranularity).toBe(g);
    }
    for (const s of documentedValues('FetchRequestDto', 'aggregation_strategy')) {
      expect(parseFetchPayload({ ...ex, aggregation_strategy: s }, OPTS).postProcessing?.aggregationStrategy).toBe(s);
    }
  });

  it('every documented SQL driver parses', () => {
    const ex = example('SqlRequestDto');
    for (const driver of prop('SqlRequestDto', 'driver').enum as string[]) {
      expect(parseSqlRequest({ ...ex, driver }).driver).toBe(driver === 'postgres' ? 'postgresql' : driver);
    }
  });
});
