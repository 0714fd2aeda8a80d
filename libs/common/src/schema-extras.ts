/**
 * Schema-level OpenAPI keywords that property decorators cannot express (`anyOf` of required sets, `minProperties`,
 * …): `@ApiSchemaExtras({...})` on a DTO class; the document builder merges them into that class's component schema.
 */
const extras = new Map<string, Record<string, unknown>>();

export function ApiSchemaExtras(schema: Record<string, unknown>): ClassDecorator {
  return (target) => {
    extras.set(target.name, schema);
  };
}

/** Merges every registered class's extras into `schemas` (components.schemas of a generated document). */
export function applySchemaExtras(schemas: Record<string, object> | undefined): void {
  if (!schemas) return;
  for (const [name, extra] of extras) {
    const s = schemas[name];
    if (s) Object.assign(s, extra);
  }
}
