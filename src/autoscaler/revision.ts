/** A revision's stable and panic metric windows (Knative's metric `collection`), fed once a second. */
import { TimedBuckets, type WindowAverager } from './buckets.ts';
import { WeightedBuckets } from './weighted.ts';

/** Knative's `config.BucketSize`: one bucket per second, so one sample per second fills it. */
export const BUCKET_SIZE_MS = 1_000;
export const DEFAULT_STABLE_WINDOW_MS = 60_000;
export const DEFAULT_PANIC_WINDOW_PERCENTAGE = 10;
export const DEFAULT_PANIC_WINDOW_MS = 6_000;

/** `linear` is Knative's default; `weighted-exponential` is its `metric-aggregation-algorithm` annotation. */
export type AggregationAlgorithm = 'linear' | 'weighted-exponential';

export interface RevisionMetricsOptions {
  stableWindowMs?: number;
  panicWindowMs?: number;
  algorithm?: AggregationAlgorithm;
}

/** One sample: the time-averaged concurrency over the last second and the requests that arrived in it. */
export interface MetricSample {
  concurrency: number;
  requests: number;
}

/** Window averages; both NaN when there is no data (Knative's `ErrNoData`). */
export interface StableAndPanic {
  stable: number;
  panic: number;
}

const NO_DATA: StableAndPanic = Object.freeze({ stable: NaN, panic: NaN });

/**
 * Knative's `MakeMetric`: the panic window is a percentage of the stable window,
 * rounded to a whole second and at least one bucket.
 */
export function panicWindowMs(stableWindowMs: number, percentage: number): number {
  return Math.max(BUCKET_SIZE_MS, Math.round((stableWindowMs * percentage) / 100 / 1_000) * 1_000);
}

/**
 * Four windows over the same samples: concurrency and requests, each over the
 * stable and the panic window. Samples in the same second add up (Knative sums a
 * bucket), so call `record` once per second with that second's sample.
 */
export class RevisionMetrics {
  readonly algorithm: AggregationAlgorithm;
  #stableWindowMs: number;
  #panicWindowMs: number;
  readonly #concurrency: { stable: WindowAverager; panic: WindowAverager };
  readonly #rps: { stable: WindowAverager; panic: WindowAverager };

  constructor(options: RevisionMetricsOptions = {}) {
    this.algorithm = options.algorithm ?? 'linear';
    this.#stableWindowMs = options.stableWindowMs ?? DEFAULT_STABLE_WINDOW_MS;
    this.#panicWindowMs = options.panicWindowMs ?? DEFAULT_PANIC_WINDOW_MS;
    const make = (windowMs: number): WindowAverager =>
      this.algorithm === 'weighted-exponential' ? new WeightedBuckets(windowMs, BUCKET_SIZE_MS) : new TimedBuckets(windowMs, BUCKET_SIZE_MS);
    this.#concurrency = { stable: make(this.#stableWindowMs), panic: make(this.#panicWindowMs) };
    this.#rps = { stable: make(this.#stableWindowMs), panic: make(this.#panicWindowMs) };
  }

  get stableWindowMs(): number {
    return this.#stableWindowMs;
  }

  get panicWindowMs(): number {
    return this.#panicWindowMs;
  }

  record(now: number, sample: MetricSample): void {
    this.#concurrency.stable.record(now, sample.concurrency);
    this.#concurrency.panic.record(now, sample.concurrency);
    this.#rps.stable.record(now, sample.requests);
    this.#rps.panic.record(now, sample.requests);
  }

  /** Average concurrency over both windows, or NaN/NaN when the stable window holds no data. */
  stableAndPanicConcurrency(now: number): StableAndPanic {
    return averages(this.#concurrency, now);
  }

  /** Requests per second over both windows (one bucket per second), or NaN/NaN without data. */
  stableAndPanicRPS(now: number): StableAndPanic {
    return averages(this.#rps, now);
  }

  /** Knative's `updateMetric`: resizes the windows, keeping the newest data that fits. */
  resizeWindows(windows: { stableWindowMs: number; panicWindowMs: number }, now: number): void {
    this.#stableWindowMs = windows.stableWindowMs;
    this.#panicWindowMs = windows.panicWindowMs;
    for (const w of [this.#concurrency, this.#rps]) {
      w.stable.resizeWindow(windows.stableWindowMs, now);
      w.panic.resizeWindow(windows.panicWindowMs, now);
    }
  }
}

/**
 * Only the stable window decides "no data": a quiet panic window just averages to 0.
 * (Knative also answers 0/0 without an error when it has no scrape target; the shell
 * records samples itself, so that case does not arise here.)
 */
function averages(w: { stable: WindowAverager; panic: WindowAverager }, now: number): StableAndPanic {
  if (w.stable.isEmpty(now)) return { ...NO_DATA };
  return { stable: w.stable.windowAverage(now), panic: w.panic.windowAverage(now) };
}
