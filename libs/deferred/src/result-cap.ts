/**
 * Caps a stored result at `maxBytes` of JSON: rows at the end of `data` are dropped (and `truncated: true` set)
 * until it fits; an answer that cannot fit even without rows keeps its envelope fields only. Pure.
 */
export function capResult(body: unknown, maxBytes: number): { result: unknown; truncated: boolean } {
  const full = JSON.stringify(body);
  if (full === undefined || Buffer.byteLength(full) <= maxBytes) return { result: body, truncated: false };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { result: null, truncated: true };
  const env = body as Record<string, unknown>;
  const rows = Array.isArray(env.data) ? (env.data as unknown[]) : null;
  const head = { ...env, data: [] as unknown[], truncated: true };
  let used = Buffer.byteLength(JSON.stringify(head));
  if (rows === null || used > maxBytes) {
    const bare: Record<string, unknown> = { status: env.status, message: env.message, truncated: true };
    return { result: bare, truncated: true };
  }
  const kept: unknown[] = [];
  for (const r of rows) {
    const n = Buffer.byteLength(JSON.stringify(r) ?? 'null') + 1;
    if (used + n > maxBytes) break;
    used += n;
    kept.push(r);
  }
  head.data = kept;
  if ('count' in env) (head as Record<string, unknown>).returned = kept.length;
  return { result: head, truncated: true };
}
