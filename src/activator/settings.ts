/**
 * A revision's autoscaling settings: the host's Knative-style defaults, its
 * containerConcurrency and its own overrides (annotation names), resolved once.
 */
import { panicWindowMs, specFromConfig, type AutoscalerSpec, type ScalingOverrides } from '../autoscaler/index.ts';

export interface HostScalingDefaults {
  tickMs: number;
  stableWindowMs: number;
  panicWindowPercentage: number;
  panicThresholdPercentage: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  containerConcurrencyTargetDefault: number;
  targetUtilizationPercentage: number;
  targetBurstCapacity: number;
  scaleToZeroGraceMs: number;
  activatorQueueDepth: number;
  activationTimeoutMs: number;
  queueTimeoutMs: number;
}

/**
 * Per-revision autoscaling settings (a revision config's `scaling` object; Knative annotation
 * names): the decider's own (target, utilisation, burst capacity, windows, …) plus the bounds
 * and queue settings the shell applies. Together with ScalingOverrides these are the `scaling`
 * rows of config/revision-settings.ts (activator/ may not import config/; a test pins them).
 */
export interface RevisionScalingOverrides extends ScalingOverrides {
  minScale?: number;
  /** 0 = unbounded. */
  maxScale?: number;
  initialScale?: number;
  panicWindowPercentage?: number;
  scaleToZeroRetentionMs?: number;
  /** Waiting requests per instance; default 10 × containerConcurrency (Knative queue-proxy). */
  queueDepth?: number;
}

export interface ScalerSettings {
  spec: AutoscalerSpec;
  /** containerConcurrency: requests one instance serves at once; 0 = unlimited. */
  cc: number;
  minScale: number;
  /** 0 = unbounded. */
  maxScale: number;
  initialScale: number;
  panicWindowMs: number;
  scaleToZeroGraceMs: number;
  scaleToZeroRetentionMs: number;
  /** Waiting requests per instance (queue-proxy's 10 × cc by default). */
  queueDepthPerInstance: number;
  activatorQueueDepth: number;
  activationTimeoutMs: number;
  queueTimeoutMs: number;
}

export function resolveSettings(host: HostScalingDefaults, cc: number, o: RevisionScalingOverrides = {}): ScalerSettings {
  // Knative's MakeDecider: target and total from containerConcurrency, the target annotation and utilisation.
  const spec = specFromConfig({
    containerConcurrency: cc,
    scaling: o,
    defaults: {
      containerConcurrencyTargetDefault: host.containerConcurrencyTargetDefault,
      containerConcurrencyTargetFraction: host.targetUtilizationPercentage / 100,
      maxScaleUpRate: host.maxScaleUpRate,
      maxScaleDownRate: host.maxScaleDownRate,
      targetBurstCapacity: host.targetBurstCapacity,
      stableWindowMs: host.stableWindowMs,
      panicWindowPercentage: host.panicWindowPercentage,
      panicThresholdPercentage: host.panicThresholdPercentage,
      scaleDownDelayMs: 0,
    },
  });
  const panicPct = o.panicWindowPercentage ?? host.panicWindowPercentage;
  return {
    spec,
    cc,
    minScale: o.minScale ?? 0,
    maxScale: o.maxScale ?? 0,
    initialScale: o.initialScale ?? 1,
    panicWindowMs: panicWindowMs(spec.stableWindowMs, panicPct),
    scaleToZeroGraceMs: host.scaleToZeroGraceMs,
    scaleToZeroRetentionMs: o.scaleToZeroRetentionMs ?? 0,
    queueDepthPerInstance: o.queueDepth ?? 10 * Math.max(1, cc),
    activatorQueueDepth: host.activatorQueueDepth,
    activationTimeoutMs: host.activationTimeoutMs,
    queueTimeoutMs: host.queueTimeoutMs,
  };
}
