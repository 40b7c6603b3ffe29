/** Knative's `aggregation.WeightedFloat64Buckets`: an exponentially weighted window average (newest buckets weigh most). */
import { TimedBuckets, ringIndex } from './buckets.ts';

/** The smallest decay per bucket, so very long windows do not flatten into a plain average. */
export const MIN_EXPONENT = 0.2;
/** The weights of the buckets in the window should add up to at least this much. */
export const WEIGHT_PRECISION = 0.9999;

/** The decay per bucket for a window of `numBuckets`: enough that the window holds WEIGHT_PRECISION of the weight. */
export function computeSmoothingCoeff(numBuckets: number): number {
  return Math.max(1 - (1 - WEIGHT_PRECISION) ** (1 / numBuckets), MIN_EXPONENT);
}

/**
 * Like `TimedBuckets`, but the average weighs the newest bucket by m, the one before
 * by m(1−m), and so on. Unlike the linear average it always spans the whole window
 * (missing buckets count as zeros) and is not rounded.
 */
export class WeightedBuckets extends TimedBuckets {
  #smoothingCoeff: number;

  constructor(windowMs: number, granularityMs: number) {
    super(windowMs, granularityMs);
    this.#smoothingCoeff = computeSmoothingCoeff(Math.ceil(windowMs / granularityMs));
  }

  get smoothingCoeff(): number {
    return this.#smoothingCoeff;
  }

  override windowAverage(now: number): number {
    const t = this.truncate(now);
    if (this.isEmpty(t)) return 0;
    const m = this.#smoothingCoeff;
    let numB = this.buckets.length;
    let multiplier = m;
    if (t > this.lastWrite) {
      // The buckets after the last write are zeros: skip straight to the weight of the last write.
      const numZ = Math.trunc((t - this.lastWrite) / this.granularityMs);
      multiplier *= (1 - m) ** numZ;
      numB -= numZ;
    }
    const start = this.toIndex(this.lastWrite);
    let sum = 0;
    for (let i = 0; i < numB; i++) {
      sum += (this.buckets[ringIndex(start - i, this.buckets.length)] as number) * multiplier;
      multiplier *= 1 - m;
    }
    return sum;
  }

  override resizeWindow(windowMs: number, now: number): void {
    super.resizeWindow(windowMs, now);
    this.#smoothingCoeff = computeSmoothingCoeff(Math.ceil(windowMs / this.granularityMs));
  }
}
