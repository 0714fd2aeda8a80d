/**
 * `fn` over `items` with at most `limit` calls in flight; results in input order. Used where one request fans
 * out to every client (`/health/cluster`), so 1,000 clients never mean 1,000 simultaneous connection attempts.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(Math.max(1, limit), items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return out;
}
