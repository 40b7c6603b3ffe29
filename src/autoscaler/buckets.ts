/** Knative's `aggregation.TimedFloat64Buckets`: a ring of time buckets whose window average feeds the autoscaler. */

/** What the metric windows need from a bucket type (Knative's `windowAverager`). */
export interface WindowAverager {
  record(now: number, value: number): void;
  windowAverage(now: number): number;
  isEmpty(now: number): boolean;
  resizeWindow(windowMs: number, now: number): void;
}

/** Knative rounds window averages to 6 digits so float noise does not read as load. */
export const AVERAGE_PRECISION = 6;

/** `math.Round(f×10ⁿ)/10ⁿ` with Go's rounding (half away from zero) and no negative zero. */
export function roundToDigits(n: number, f: number): number {
  const p = 10 ** n;
  return (Math.sign(f) * Math.round(Math.abs(f) * p)) / p + 0;
}

/** A modulo that stays in [0, n) for negative indexes too (times before 0 ms). */
export function ringIndex(i: number, n: number): number {
  return ((i % n) + n) % n;
}

/**
 * Values summed per bucket of `granularityMs` over the last `windowMs`.
 *
 * Times are milliseconds; a bucket is `floor(now / granularity)`, which is Knative's
 * whole-Unix-second index for whole-second granularities. Go's zero `time.Time` ("never")
 * is `-Infinity` here, so "now − never" is longer than any window, as in Go.
 */
export class TimedBuckets implements WindowAverager {
  readonly granularityMs: number;
  protected buckets: number[];
  protected windowMs: number;
  /** The first write of the current run of data; reset after a window without writes. */
  protected firstWrite = -Infinity;
  /** The bucket time of the newest write; later buckets up to `now` are gaps (zeros). */
  protected lastWrite = -Infinity;
  /** The sum of all buckets, including ones older than `firstWrite` that still hold zero. */
  protected windowTotal = 0;

  constructor(windowMs: number, granularityMs: number) {
    if (!(granularityMs > 0) || !(windowMs > 0)) throw new RangeError(`window ${windowMs} and granularity ${granularityMs} must be positive`);
    this.granularityMs = granularityMs;
    this.windowMs = windowMs;
    // Rounded up: a 5 s window of 3 s buckets has 2 buckets.
    this.buckets = new Array<number>(Math.ceil(windowMs / granularityMs)).fill(0);
  }

  get window(): number {
    return this.windowMs;
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  /** True when nothing was written for more than a window. */
  isEmpty(now: number): boolean {
    return this.truncate(now) - this.lastWrite > this.windowMs;
  }

  /**
   * Adds `value` to the bucket of `now`. Buckets skipped since the last write are
   * zeroed; after a whole window without writes everything restarts (a partial
   * window again). Writes older than a window before the last write are dropped.
   */
  record(now: number, value: number): void {
    const bucketTime = this.truncate(now);
    const writeIdx = this.toIndex(now);
    if (this.lastWrite !== bucketTime) {
      if (!(bucketTime + this.windowMs > this.lastWrite)) return;
      if (this.firstWrite === -Infinity || this.firstWrite > bucketTime) this.firstWrite = bucketTime;
      if (bucketTime > this.lastWrite) {
        if (bucketTime - this.lastWrite >= this.windowMs) {
          this.firstWrite = bucketTime;
          this.buckets.fill(0);
          this.windowTotal = 0;
        } else {
          // Stats can skip buckets: clear every one since the last write, not just this one.
          for (let i = this.toIndex(this.lastWrite) + 1; i <= writeIdx; i++) {
            const k = ringIndex(i, this.buckets.length);
            this.windowTotal -= this.buckets[k] as number;
            this.buckets[k] = 0;
          }
        }
        this.lastWrite = bucketTime;
      }
      // Otherwise the write is late but inside the window: just add it.
    }
    const k = ringIndex(writeIdx, this.buckets.length);
    this.buckets[k] = (this.buckets[k] as number) + value;
    this.windowTotal += value;
  }

  /**
   * The average per bucket. Before a full window of data it averages only the buckets
   * since the first write; buckets after the last write are dropped (not counted as
   * zeros); gaps in between count as zeros. Zero after a window without data.
   */
  windowAverage(now: number): number {
    const t = this.truncate(now);
    const d = t - this.lastWrite;
    const written = Math.trunc((this.lastWrite - this.firstWrite) / this.granularityMs) + 1; // Inclusive of both ends.
    if (d <= 0) {
      // Reading at (or before) the last write: everything stored counts.
      return roundToDigits(AVERAGE_PRECISION, this.windowTotal / Math.min(written, this.buckets.length));
    }
    if (d < this.windowMs) {
      // Buckets between the last write and now still hold data a window old: leave them out.
      const stIdx = this.toIndex(this.lastWrite);
      const eIdx = this.toIndex(t);
      let total = this.windowTotal;
      for (let i = stIdx + 1; i <= eIdx; i++) total -= this.buckets[ringIndex(i, this.buckets.length)] as number;
      return roundToDigits(AVERAGE_PRECISION, total / Math.min(written, this.buckets.length - (eIdx - stIdx)));
    }
    return 0;
  }

  /**
   * Changes the window, keeping the newest buckets that fit. Knative reads the wall
   * clock here; this port takes `now`. Data older than the old window is dropped.
   */
  resizeWindow(windowMs: number, now: number): void {
    if (windowMs === this.windowMs) return;
    const size = Math.ceil(windowMs / this.granularityMs);
    const next = new Array<number>(size).fill(0);
    let total = 0;
    if (this.truncate(now) - this.lastWrite <= this.windowMs) {
      const old = this.buckets.length;
      let idx = this.toIndex(this.lastWrite);
      for (let n = 0; n < Math.min(size, old); n++, idx--) {
        const v = this.buckets[ringIndex(idx, old)] as number;
        next[ringIndex(idx, size)] = v;
        total += v;
      }
      // The earliest time that may hold data; the average never spans more than `old` buckets.
      this.firstWrite = this.lastWrite - (old - 1) * this.granularityMs;
    } else {
      this.firstWrite = -Infinity;
    }
    this.windowMs = windowMs;
    this.buckets = next;
    this.windowTotal = total;
  }

  /** Visits the buckets from the last write backwards, with their bucket times (for inspection and tests). */
  forEachBucket(now: number, fn: (time: number, value: number) => void): void {
    const n = this.buckets.length - Math.trunc((this.truncate(now) - this.lastWrite) / this.granularityMs);
    let time = this.lastWrite;
    for (let i = 0, idx = this.toIndex(time); i < n; i++, idx--, time -= this.granularityMs) {
      fn(time, this.buckets[ringIndex(idx, this.buckets.length)] as number);
    }
  }

  protected truncate(t: number): number {
    return Math.floor(t / this.granularityMs) * this.granularityMs;
  }

  protected toIndex(t: number): number {
    return Math.floor(t / this.granularityMs);
  }
}
