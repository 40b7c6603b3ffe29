/** Percentiles and summaries for latency samples (milliseconds). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Summary { n: number; p50: number; p90: number; p99: number; max: number; mean: number }

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? NaN), mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Per-run summaries plus the median and spread of each run's p50 and p99. */
export function acrossRuns(runs: number[][]): { runs: Summary[]; pooled: Summary; p50: { median: number; min: number; max: number }; p99: { median: number; min: number; max: number } } {
  const sums = runs.map(summarize);
  const spread = (k: 'p50' | 'p99') => ({ median: median(sums.map((x) => x[k])), min: Math.min(...sums.map((x) => x[k])), max: Math.max(...sums.map((x) => x[k])) });
  return { runs: sums, pooled: summarize(runs.flat()), p50: spread('p50'), p99: spread('p99') };
}
