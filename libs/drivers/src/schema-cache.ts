/** Minimum gap between on-demand reloads triggered by an unknown table. */
const MISS_RELOAD_GAP_MS = 2000;

export interface SchemaCacheOptions<T> {
  /** Introspects the backend (errors already mapped to AthenaError by the adapter). */
  load: () => Promise<Map<string, T>>;
  /** Background refresh period; 0 = never. */
  refreshMs: number;
  onRefreshError: (err: Error) => void;
}

/**
 * One client's table catalogue, as every adapter keeps it: loaded on first use (concurrent callers share the
 * load), refreshed in the background, read synchronously on the hot path, reloaded once (rate-limited) when a
 * table is missing — so a table created after the last refresh is found without a restart — and dropped after
 * DDL so the next request reloads it.
 */
export class SchemaCache<T> {
  private tables: Map<string, T> | null = null;
  private loading: Promise<Map<string, T>> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastMissReload = 0;
  private closed = false;

  constructor(private readonly opts: SchemaCacheOptions<T>) {}

  /** Hot path: the cached table, without an await (undefined → not loaded yet, or unknown: call find()). */
  peek(key: string): T | undefined {
    return this.tables?.get(key);
  }

  /** The table, loading the catalogue if needed and reloading it once on a miss; undefined when it does not exist. */
  async find(key: string): Promise<T | undefined> {
    let tables = this.tables ?? (await this.reload());
    let found = tables.get(key);
    if (!found && Date.now() - this.lastMissReload > MISS_RELOAD_GAP_MS) {
      this.lastMissReload = Date.now();
      tables = await this.reload();
      found = tables.get(key);
    }
    return found;
  }

  /** Forget the catalogue (after DDL): the next request reloads it. */
  invalidate(): void {
    this.tables = null;
  }

  reload(): Promise<Map<string, T>> {
    if (this.loading) return this.loading;
    this.loading = this.opts
      .load()
      .then((tables) => {
        this.tables = tables;
        this.scheduleRefresh();
        return tables;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private scheduleRefresh(): void {
    if (this.timer || this.closed || this.opts.refreshMs <= 0) return;
    this.timer = setInterval(() => {
      this.reload().catch((e: Error) => this.opts.onRefreshError(e));
    }, this.opts.refreshMs);
    this.timer.unref();
  }
}
