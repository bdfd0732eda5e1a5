/**
 * Runs `task` over `items`, at most `limit` at a time, with the results in the order of the items.
 * The first failure (or an abort of `signal`) stops new tasks from starting and is thrown once the
 * running ones have settled.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | null = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      if (signal?.aborted) {
        failed = { error: signal.reason };
        break;
      }
      const index = next++;
      try {
        results[index] = await task(items[index]!, index);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw (failed as { error: unknown }).error;
  return results;
}
