/**
 * A configuration problem found at boot (discovery, YAML syntax, validation). Not an `AthenaError`: it never
 * reaches an HTTP response. `problems` holds one line per problem; `message` repeats them, one per line, under a
 * summary naming the file, so printing `err.message` tells the operator everything to fix in one go.
 */
export class ConfigError extends Error {
  constructor(
    /** Every problem, one line each (e.g. `api.port: expected integer 1..65535, got "abc"`). */
    readonly problems: string[],
    /** The config file the problems come from, when known. */
    readonly source?: string,
    summary?: string,
  ) {
    super(ConfigError.compose(problems, source, summary));
    this.name = 'ConfigError';
  }

  private static compose(problems: string[], source: string | undefined, summary: string | undefined): string {
    const n = problems.length;
    const head =
      summary ?? `Invalid Athena configuration${source ? ` in ${source}` : ''} (${n} problem${n === 1 ? '' : 's'}):`;
    return [head, ...problems.map((p) => `  ${p}`)].join('\n');
  }
}
