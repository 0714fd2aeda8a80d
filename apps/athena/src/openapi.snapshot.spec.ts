import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { OPENAPI_SNAPSHOT_PATH, generateOpenApiDocument } from './openapi-document';
import { openApiYaml } from './openapi';

/** Set by `npm run openapi:snapshot`: rewrite the committed document instead of comparing with it. */
const UPDATE = process.env.ATHENA_UPDATE_OPENAPI_SNAPSHOT === '1';
const SNAPSHOT = relative(process.cwd(), OPENAPI_SNAPSHOT_PATH);

describe('OpenAPI document snapshot', () => {
  it(`matches ${SNAPSHOT}`, async () => {
    const generated = openApiYaml(await generateOpenApiDocument());
    if (UPDATE) {
      writeFileSync(OPENAPI_SNAPSHOT_PATH, generated);
      return;
    }
    const committed = existsSync(OPENAPI_SNAPSHOT_PATH) ? readFileSync(OPENAPI_SNAPSHOT_PATH, 'utf8') : '';
    if (committed !== generated) {
      throw new Error(
        `The generated OpenAPI document differs from ${SNAPSHOT}. If the change to routes/DTOs is intended, run ` +
          '`npm run openapi:snapshot` and commit the updated file (review its diff: it is the public API contract).\n' +
          firstDifference(committed, generated),
      );
    }
  });
});

/** The first differing line, with a little context, so the failure says what drifted. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  const from = Math.max(0, i - 3);
  const show = (lines: string[]) =>
    lines
      .slice(from, i + 3)
      .map((l, k) => `${String(from + k + 1).padStart(5)}| ${l}`)
      .join('\n');
  return `First difference at line ${i + 1}.\ncommitted:\n${show(la)}\ngenerated:\n${show(lb)}`;
}
