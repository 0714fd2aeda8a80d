import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuthenticationService, isAuthPrincipal } from '@athena/auth';
import { CLIENT_NAME_RULE, GatewayCall, isValidClientName } from '@athena/common';
import { GatewayService } from '@athena/gateway';
import { applyPostProcessing, assertIdentifier, parseTableName, Row } from '@athena/query';
import { PipelineDefinition, PipelineTemplates } from './pipeline-templates';
import { PipelinesErrors } from './errors';

export interface PipelineRequest extends PipelineDefinition {
  pipeline?: string;
  dry_run?: boolean;
}

export interface PipelineResult {
  data: Row[];
  rows_fetched: number;
  rows_inserted: number;
  errors: Array<{ index: number | null; error: string }>;
  dry_run: boolean;
  would_insert: number;
  source_client: string;
  sink_client: string;
  pipeline_run_id: string;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Top-level field types (absent or null = not given): a wrong type is refused, never silently ignored. */
function checkShape(body: Record<string, unknown>): void {
  const wrong = (field: string, expected: string) =>
    PipelinesErrors.invalidPipeline(`Invalid pipeline field "${field}"`, `"${field}" must be ${expected}`);
  const p = body.pipeline;
  if (p !== undefined && p !== null && typeof p !== 'string') throw wrong('pipeline', 'a template name (string)');
  for (const f of ['source', 'transform', 'sink'] as const) {
    const v = body[f];
    if (v !== undefined && v !== null && !isObj(v)) throw wrong(f, 'an object');
  }
  for (const f of ['source', 'sink'] as const) {
    const c = (body[f] as Record<string, unknown> | null | undefined)?.client;
    if (c !== undefined && c !== null && (typeof c !== 'string' || !isValidClientName(c)))
      throw wrong(`${f}.client`, `a client name (${CLIENT_NAME_RULE})`);
  }
  const t = body.transform;
  if (isObj(t) && t.column_aliases !== undefined && t.column_aliases !== null && !isObj(t.column_aliases))
    throw wrong('transform.column_aliases', 'an object (column → new name)');
  if (isObj(t) && t.group_by !== undefined) assertIdentifier(t.group_by, 'transform.group_by column');
  const d = body.dry_run;
  if (d !== undefined && d !== null && typeof d !== 'boolean') throw wrong('dry_run', 'true or false');
}

/**
 * Pipelines, transform-free of HTTP: source fetch → optional transform (the fetch post-processing: one row per
 * bucket) and column aliases → one sink insert. Every step is a GatewayService call with a GatewayCall derived from
 * the caller's (origin.transport `pipeline`), so `<source>.read` and `<sink>.write` are authorized, and logged,
 * exactly as the HTTP routes are. The sink write is one INSERT statement: all rows or none. Source and sink on
 * different clients are two separate transactions (the read is not repeated if the write fails).
 */
@Injectable()
export class PipelinesService {
  constructor(
    private readonly gateway: GatewayService,
    private readonly templates: PipelineTemplates,
    private readonly authn: AuthenticationService,
  ) {}

  /** Template (when named) merged with the inline fields; inline wins, per section and per key. */
  resolve(body: unknown): { def: Required<PipelineDefinition>; name: string | null } {
    if (!isObj(body))
      throw PipelinesErrors.invalidPipeline(
        'Invalid pipeline payload',
        'Send a JSON object {pipeline?, source, transform?, sink}',
      );
    checkShape(body);
    const name = typeof body.pipeline === 'string' && body.pipeline !== '' ? body.pipeline : null;
    const t = name ? this.templates.get(name) : null;
    const merge = (a: unknown, b: unknown) =>
      isObj(a) || isObj(b) ? { ...(isObj(a) ? a : {}), ...(isObj(b) ? b : {}) } : undefined;
    const source = merge(t?.source, body.source);
    const sink = merge(t?.sink, body.sink);
    const transform = body.transform === null ? null : (merge(t?.transform ?? undefined, body.transform) ?? null);
    if (!source || (typeof source.table_name !== 'string' && typeof source.view_name !== 'string')) {
      throw PipelinesErrors.invalidPipeline(
        'Pipeline source needs table_name',
        '"source.table_name" (or "source.view_name") is required',
      );
    }
    if (!sink || typeof sink.table_name !== 'string' || sink.table_name.trim() === '')
      throw PipelinesErrors.invalidPipeline('Pipeline sink needs table_name', '"sink.table_name" is required');
    parseTableName(sink.table_name.trim()); // 400 invalid_identifier before anything runs
    return { def: { source, sink, transform }, name };
  }

  async run(call: GatewayCall, body: unknown, simulate = false): Promise<PipelineResult> {
    const { def } = this.resolve(body);
    const dryRun = simulate || (isObj(body) && body.dry_run === true);
    const runId = randomUUID();
    const src = def.source!;
    const sink = def.sink!;
    const sourceCall = await this.stepCall(
      call,
      typeof src.client === 'string' ? src.client : call.client,
      `${runId}:source`,
      'POST',
      '/pipelines#source',
    );
    const { client: _c, view_name: view, ...fetchBody } = src;
    if (typeof view === 'string' && fetchBody.table_name === undefined) fetchBody.table_name = view;
    const fetched = await this.gateway.fetch(sourceCall, fetchBody);
    const rows = (Array.isArray(fetched.body.data) ? fetched.body.data : []) as Row[];
    let out = def.transform ? this.transform(rows, def.transform) : rows;
    const aliases =
      def.transform && isObj(def.transform.column_aliases)
        ? (def.transform.column_aliases as Record<string, unknown>)
        : null;
    if (aliases)
      out = out.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [typeof aliases[k] === 'string' ? (aliases[k] as string) : k, v]),
        ),
      );
    const sinkClient = typeof sink.client === 'string' ? sink.client : call.client;
    const base = {
      rows_fetched: rows.length,
      errors: [],
      dry_run: dryRun,
      would_insert: out.length,
      source_client: sourceCall.client ?? '',
      sink_client: sinkClient ?? '',
      pipeline_run_id: runId,
    };
    if (dryRun || out.length === 0) return { data: dryRun ? out : [], rows_inserted: 0, ...base };
    const sinkCall = await this.stepCall(call, sinkClient, `${runId}:sink`, 'PUT', '/pipelines#sink');
    const inserted = await this.gateway.insert(sinkCall, { table_name: sink.table_name, insert_body: out });
    const data = (Array.isArray(inserted.body.data) ? inserted.body.data : [inserted.body.data]) as Row[];
    return { data, rows_inserted: data.length, ...base };
  }

  /** One bucket → one row: the group label, the bucket's row count, and the aggregation when configured. */
  private transform(rows: Row[], t: Record<string, unknown>): Row[] {
    if (typeof t.group_by !== 'string') {
      if (t.group_by === undefined && isObj(t.column_aliases)) return rows;
      throw PipelinesErrors.invalidPipeline(
        'transform.group_by is required',
        'A transform groups rows: set "transform.group_by" (or only "column_aliases")',
      );
    }
    const g = t.time_granularity;
    const res = applyPostProcessing(rows, {
      groupBy: t.group_by,
      timeGranularity: g === 'day' || g === 'hour' || g === 'minute' ? g : null,
      aggregationColumn: typeof t.aggregation_column === 'string' ? t.aggregation_column : null,
      aggregationStrategy: t.aggregation_strategy === 'cumulative_sum' ? 'cumulative_sum' : null,
      aggregationDedup: t.aggregation_dedup === true,
    });
    return res.grouped.map((b) => {
      const r: Row = { [t.group_by as string]: b.label, row_count: b.rows.length };
      if (b.aggregation) r[b.aggregation.column] = b.aggregation.value;
      return r;
    });
  }

  /** The caller's call for one step: its own request id and origin; re-authenticated when the client differs. */
  private async stepCall(
    call: GatewayCall,
    client: string | null,
    requestId: string,
    method: string,
    url: string,
  ): Promise<GatewayCall> {
    // Pipelines read fresh rows (no cache lookup); the answer may still be stored.
    const step: GatewayCall = {
      ...call,
      requestId,
      client,
      cache: { read: false, write: call.cache.write },
      origin: { ...call.origin, transport: 'pipeline', method, url },
    };
    const p = call.principal;
    if (client !== null && isAuthPrincipal(p) && p.client !== client) {
      const r = this.authn.rebind(step, client, 'gateway.read');
      if (r instanceof Promise) await r;
    }
    return step;
  }
}
