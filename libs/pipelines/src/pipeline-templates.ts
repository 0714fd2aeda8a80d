import { Inject, Injectable } from '@nestjs/common';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { PipelinesErrors } from './errors';

export interface PipelineDefinition {
  source?: Record<string, unknown>;
  transform?: Record<string, unknown> | null;
  sink?: Record<string, unknown>;
}

export interface PipelineTemplate extends PipelineDefinition {
  name: string;
}

/** Default templates file, relative to the working directory (the athena_rs layout). */
export const DEFAULT_PIPELINES_PATH = 'config/pipelines.yaml';

/**
 * Reads pipeline templates from YAML: `pipelines:` as a name-keyed map or as a list of `{name, …}` (both
 * accepted; a bare top-level map/list too). Path: `gateway.pipelines_path` (`--pipelines PATH`), else
 * `config/pipelines.yaml`. Re-read when the file changes (mtime), so edits need no restart.
 */
@Injectable()
export class PipelineTemplates {
  private memo: { path: string; mtime: number; templates: Map<string, PipelineTemplate> } | null = null;

  constructor(@Inject(ATHENA_CONFIG) private readonly config: AthenaConfig) {}

  get path(): string {
    return resolve(this.config.gateway.pipelines_path ?? DEFAULT_PIPELINES_PATH);
  }

  all(): Map<string, PipelineTemplate> {
    const path = this.path;
    if (!existsSync(path)) return new Map();
    const mtime = statSync(path).mtimeMs;
    if (this.memo && this.memo.path === path && this.memo.mtime === mtime) return this.memo.templates;
    const templates = parseTemplates(readFileSync(path, 'utf8'), path);
    this.memo = { path, mtime, templates };
    return templates;
  }

  get(name: string): PipelineTemplate {
    const t = this.all().get(name);
    if (!t)
      throw PipelinesErrors.unknownPipeline(
        `Unknown pipeline template "${name.slice(0, 100)}"`,
        `Templates come from ${this.path}; GET /pipelines/templates lists them`,
      );
    return t;
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseTemplates(text: string, where: string): Map<string, PipelineTemplate> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw PipelinesErrors.invalidPipelinesFile('Invalid pipelines file', `${where}: ${(e as Error).message}`);
  }
  const root = isObj(doc) && 'pipelines' in doc ? doc.pipelines : doc;
  const out = new Map<string, PipelineTemplate>();
  const add = (name: unknown, def: unknown) => {
    if (typeof name !== 'string' || name === '' || !isObj(def)) {
      throw PipelinesErrors.invalidPipelinesFile(
        'Invalid pipelines file',
        `${where}: each template needs a name and a {source, transform?, sink} definition`,
      );
    }
    out.set(name, {
      name,
      source: isObj(def.source) ? def.source : undefined,
      transform: isObj(def.transform) ? def.transform : null,
      sink: isObj(def.sink) ? def.sink : undefined,
    });
  };
  if (Array.isArray(root)) for (const t of root) add(isObj(t) ? t.name : undefined, t);
  else if (isObj(root)) for (const [k, v] of Object.entries(root)) add(k, v);
  else if (root !== null && root !== undefined)
    throw PipelinesErrors.invalidPipelinesFile(
      'Invalid pipelines file',
      `${where}: "pipelines" must be a map or a list`,
    );
  return out;
}
