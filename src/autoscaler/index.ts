/** The autoscaler: Knative's KPA decider and the metric windows that feed it (Knative's aggregation), pure: time is an argument. */
export { Autoscaler, TICK_INTERVAL_MS, type AutoscalerSpec, type ScaleObservation, type ScaleResult } from './autoscaler.ts';
export { MaxTimeWindow } from './max-window.ts';
export {
  AUTOSCALER_DEFAULTS, DEFAULT_AUTOSCALER_SPEC, TARGET_MIN, resolveTarget, specFromConfig,
  type AutoscalerDefaults, type DeciderInput, type ScalingOverrides,
} from './config.ts';
export { TimedBuckets, AVERAGE_PRECISION, roundToDigits, ringIndex, type WindowAverager } from './buckets.ts';
export { WeightedBuckets, computeSmoothingCoeff, MIN_EXPONENT, WEIGHT_PRECISION } from './weighted.ts';
export {
  RevisionMetrics, panicWindowMs, BUCKET_SIZE_MS, DEFAULT_STABLE_WINDOW_MS, DEFAULT_PANIC_WINDOW_MS, DEFAULT_PANIC_WINDOW_PERCENTAGE,
  type AggregationAlgorithm, type MetricSample, type RevisionMetricsOptions, type StableAndPanic,
} from './revision.ts';
export { ConcurrencySampler, type ConcurrencyReport } from './sampler.ts';
