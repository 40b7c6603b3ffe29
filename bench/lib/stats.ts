/** Percentiles and summaries for latency samples (milliseconds), and the spread of a statistic across repeated runs. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest rank: the value at or below which p % of the samples fall (no interpolation, so it is a real sample).
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Summary { n: number; p50: number; p90: number; p99: number; max: number; mean: number }

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: r3(percentile(s, 50)), p90: r3(percentile(s, 90)), p99: r3(percentile(s, 99)), max: r3(s.at(-1) ?? NaN), mean: r3(s.reduce((a, b) => a + b, 0) / (s.length || 1)) };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The median of one statistic over repeated runs, with its range: what a single run could have shown. */
export interface Spread { median: number; min: number; max: number }

export function spread(xs: number[]): Spread {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN };
  return { median: r3(median(xs)), min: r3(Math.min(...xs)), max: r3(Math.max(...xs)) };
}

export interface AcrossRuns { runs: Summary[]; pooled: Summary; p50: Spread; p90: Spread; p99: Spread; max: Spread }

/** Per-run summaries, all samples pooled, and the median and range of each run's p50, p90, p99 and max. */
export function acrossRuns(runs: number[][]): AcrossRuns {
  const sums = runs.filter((r) => r.length > 0).map(summarize);
  const of = (k: 'p50' | 'p90' | 'p99' | 'max') => spread(sums.map((x) => x[k]));
  return { runs: sums, pooled: summarize(runs.flat()), p50: of('p50'), p90: of('p90'), p99: of('p99'), max: of('max') };
}

/**
 * a / b for paired runs (run i of a with run i of b, as they ran side by side), reported as the
 * ratio of the medians with the range of the per-run ratios.
 */
export function ratioSpread(a: number[], b: number[]): Spread {
  const n = Math.min(a.length, b.length);
  const per = Array.from({ length: n }, (_, i) => a[i]! / b[i]!).filter(Number.isFinite);
  const m = median(a) / median(b);
  if (!Number.isFinite(m)) return { median: NaN, min: NaN, max: NaN };
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { median: r2(m), min: r2(per.length ? Math.min(...per) : m), max: r2(per.length ? Math.max(...per) : m) };
}
