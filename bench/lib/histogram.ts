/**
 * Log-binned latency histograms small enough to keep in the result JSON (so a report and its
 * plots can be re-rendered from the JSON alone): 10 bins per decade from 1 µs, sparse.
 */
export const BINS_PER_DECADE = 10;
const MIN_EXP = -3; // 0.001 ms

export interface Histogram { binsPerDecade: number; minExp: number; first: number; counts: number[] }

export function binOf(ms: number): number {
  return Math.max(0, Math.floor((Math.log10(Math.max(ms, 10 ** MIN_EXP)) - MIN_EXP) * BINS_PER_DECADE + 1e-9));
}

/** Lower edge of bin i, in ms. */
export function binLow(i: number): number {
  return 10 ** (MIN_EXP + i / BINS_PER_DECADE);
}

export function logHistogram(samples: number[]): Histogram {
  if (samples.length === 0) return { binsPerDecade: BINS_PER_DECADE, minExp: MIN_EXP, first: 0, counts: [] };
  const bins = samples.map(binOf);
  const first = Math.min(...bins);
  const counts = new Array<number>(Math.max(...bins) - first + 1).fill(0);
  for (const b of bins) counts[b - first]!++;
  return { binsPerDecade: BINS_PER_DECADE, minExp: MIN_EXP, first, counts };
}
