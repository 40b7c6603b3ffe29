/** Loops bounded in count and in time: every bench loop runs through these, so no run can hang. */

/** Calls `fn(i)` for i < n, one at a time, until the deadline (ms, performance.now()) passes; returns what it collected. */
export async function collect<T>(n: number, deadline: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n && performance.now() < deadline; i++) out.push(await fn(i));
  return out;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight (deploys: the host compiles on a
 * worker pool, so a few in flight keep it busy without piling up); stops starting new calls at the
 * deadline. Results keep the order of `items`; a slot is undefined if it was never started.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, deadline: number, fn: (item: T, i: number) => Promise<R>): Promise<(R | undefined)[]> {
  const out = new Array<R | undefined>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length && performance.now() < deadline) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}
