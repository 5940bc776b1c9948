// Hundreds of small files, each written with two fsyncs: done one at a time, a first apply of 200 registries
// waits on 400 fsyncs in a row. A few in flight overlap the waits without flooding the disk.
export const IO_CONCURRENCY = 16;

/**
 * Runs `fn` over `items` with at most `limit` in flight; results in input order. A throw rejects the whole
 * call with the first error, items already in flight still finish: callers that must act on every item
 * catch inside `fn`; read-only and idempotent work may let the first failure stop the pass.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
