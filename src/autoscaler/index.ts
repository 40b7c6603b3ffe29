/** The autoscaler: Knative's KPA decider, pure (time is an argument). */
export { Autoscaler, TICK_INTERVAL_MS, type AutoscalerSpec, type ScaleObservation, type ScaleResult } from './autoscaler.ts';
export { MaxTimeWindow } from './max-window.ts';
export {
  AUTOSCALER_DEFAULTS, DEFAULT_AUTOSCALER_SPEC, TARGET_MIN, resolveTarget, specFromConfig,
  type AutoscalerDefaults, type DeciderInput, type ScalingOverrides,
} from './config.ts';
