/** Zipf-distributed picks for the scale mix: item k (0-based) is picked with probability ∝ 1/(k+1)^s. */
export function zipfCdf(n: number, s = 1): number[] {
  const w = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
}

/** The index a uniform x in [0, 1) falls on (binary search of the CDF). */
export function zipfPick(cdf: number[], x: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
