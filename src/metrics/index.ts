/** Metric windows for the autoscaler, as Knative computes them; pure (time is an argument). */
export { TimedBuckets, AVERAGE_PRECISION, roundToDigits, ringIndex, type WindowAverager } from './buckets.ts';
export { WeightedBuckets, computeSmoothingCoeff, MIN_EXPONENT, WEIGHT_PRECISION } from './weighted.ts';
export {
  RevisionMetrics, panicWindowMs, BUCKET_SIZE_MS, DEFAULT_STABLE_WINDOW_MS, DEFAULT_PANIC_WINDOW_MS, DEFAULT_PANIC_WINDOW_PERCENTAGE,
  type AggregationAlgorithm, type MetricSample, type RevisionMetricsOptions, type StableAndPanic,
} from './revision.ts';
export { ConcurrencySampler, type ConcurrencyReport } from './sampler.ts';
